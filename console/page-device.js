import { ApiFailure, getJson, segment, write } from './api.js';
import { barChart, bucketize } from './chart.js';
import { h, notice, number, ssidText, timeText } from './dom.js';
import { openedAt, probes } from './live.js';
import { tokenForm } from './token.js';

function statsList(stats) {
  return h(
    'dl',
    { class: 'stats' },
    h('dt', {}, 'Probe requests'),
    h('dd', { id: 'device-count' }, number(stats.probeCount)),
    h('dt', {}, 'First probe'),
    h('dd', {}, timeText(stats.firstProbe)),
    h('dt', {}, 'Last probe'),
    h('dd', {}, timeText(stats.lastProbe)),
    h('dt', {}, 'SSIDs probed'),
    h('dd', {}, number(stats.uniqueSsidsProbed)),
  );
}

/** The name form: PUT /devices/:mac/name, or DELETE to remove a name given by hand. */
function nameForm(mac, current, onSaved) {
  const input = h('input', {
    type: 'text',
    id: 'device-name',
    maxlength: 256,
    value: current ?? '',
    'aria-label': 'Name',
  });
  const message = h('span', { class: 'muted' });
  const tokenSlot = h('div');
  async function run(action) {
    message.textContent = 'Saving…';
    try {
      await action();
      message.textContent = 'Saved: the table shows it within a second or two.';
      setTimeout(onSaved, 1500);
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'UNAUTHORIZED') {
        message.textContent = '';
        tokenSlot.replaceChildren(tokenForm(() => tokenSlot.replaceChildren()));
      } else message.textContent = `Not saved: ${error.message}`;
    }
  }
  return h(
    'form',
    {
      class: 'inline',
      onsubmit: (event) => {
        event.preventDefault();
        run(() => write('PUT', `/devices/${segment(mac)}/name`, { name: input.value }));
      },
    },
    h('label', { for: 'device-name' }, 'Name '),
    input,
    h('button', { type: 'submit' }, 'Save'),
    h(
      'button',
      { type: 'button', onclick: () => run(() => write('DELETE', `/devices/${segment(mac)}/name`)) },
      'Remove',
    ),
    message,
    tokenSlot,
  );
}

const HOUR = 3_600_000;
const CHART_HOURS = 24;

/**
 * The device's probe requests per hour (GET /devices/:mac/activity) in the 24 hours up to its last one, as
 * bucketize counts them; undefined when the API cannot say (an older instance, a partition moving).
 */
async function hourlyActivity(mac, lastProbe) {
  const end = Math.floor(Date.parse(lastProbe) / HOUR) * HOUR + HOUR;
  const start = end - CHART_HOURS * HOUR;
  try {
    const answer = await getJson(`/devices/${segment(mac)}/activity?window=1h&from=${start}&to=${end - 1}`);
    const counts = new Array(CHART_HOURS).fill(0);
    for (const bucket of answer.buckets) {
      const index = (Date.parse(bucket.start) - start) / HOUR;
      if (Number.isInteger(index) && index >= 0 && index < CHART_HOURS) counts[index] = bucket.probeCount;
    }
    return { start, width: HOUR, counts };
  } catch {
    return undefined;
  }
}

/**
 * One device: its figures, SSIDs, name, and a chart of its probe requests: per hour from the windowed
 * counts, or, when those cannot be read, those that arrived since the page opened.
 */
export function renderDevice(main, mac) {
  const title = h('h2', {}, mac);
  const figures = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const chartTitle = h('h3', {}, 'Probe requests');
  const chartSlot = h('div');
  const ssidSlot = h('div');
  const formSlot = h('div');
  main.append(
    h('p', {}, h('a', { href: '#/devices' }, '← Devices')),
    title,
    figures,
    formSlot,
    chartTitle,
    chartSlot,
    h('h3', {}, 'SSIDs probed'),
    ssidSlot,
  );

  let named = false;
  async function load() {
    try {
      const stats = await getJson(`/devices/${segment(mac)}/stats`);
      title.replaceChildren(
        stats.deviceName ?? mac,
        stats.deviceName ? h('span', { class: 'muted mono' }, ` ${mac}`) : '',
      );
      figures.replaceChildren(statsList(stats));
      ssidSlot.replaceChildren(
        h(
          'ul',
          { class: 'ssid-list', id: 'device-ssids' },
          stats.ssidsProbed.map((s) => h('li', {}, ssidText(s))),
        ),
      );
      if (!named) formSlot.replaceChildren(nameForm(mac, stats.deviceName, load));
      named = true;
      const hourly = await hourlyActivity(mac, stats.lastProbe);
      live = hourly === undefined;
      if (hourly) {
        chartTitle.textContent = 'Probe requests per hour, up to the last one';
        chartSlot.replaceChildren(
          barChart(hourly, `Probe requests from ${mac}`, `Probe requests from ${mac} per hour (event time)`),
        );
      } else drawChart();
    } catch (error) {
      figures.replaceChildren(
        notice(
          error.code === 'DEVICE_NOT_FOUND' ? 'info' : 'error',
          error.code === 'DEVICE_NOT_FOUND'
            ? 'No probe request from this device has been counted yet.'
            : `Could not load the device: ${error.message}`,
        ),
      );
    }
  }

  // By arrival time: the stream holds what arrived since the page opened, whatever the frames' own times.
  let live = true;
  const drawChart = () => {
    if (!live) return;
    chartTitle.textContent = 'Probe requests since this page opened';
    const times = probes.history.filter((p) => p.mac === mac).map((p) => p.receivedAt);
    chartSlot.replaceChildren(barChart(bucketize(times, openedAt, Date.now()), `Probe requests from ${mac}`));
  };

  // The figures follow the device's probes (asked again at most once a second); the chart moves with the clock.
  let reload;
  const unsubscribe = probes.subscribe((probe) => {
    if (probe.mac !== mac) return;
    drawChart();
    reload ??= setTimeout(() => {
      reload = undefined;
      load();
    }, 1000);
  });
  const tick = setInterval(drawChart, 5000);
  load();
  drawChart();
  return () => {
    unsubscribe();
    clearInterval(tick);
    clearTimeout(reload);
  };
}
