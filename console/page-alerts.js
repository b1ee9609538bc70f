import { ApiFailure, getJson, segment, write } from './api.js';
import { h, notice, ssidText, table, timeText } from './dom.js';
import { alerts } from './live.js';
import { tokenForm } from './token.js';

function alertRow(alert) {
  return h(
    'tr',
    {},
    h('td', {}, timeText(alert.ts)),
    h('td', { class: 'mono' }, h('a', { href: `#/devices/${alert.mac}` }, alert.mac)),
    h('td', { class: 'name' }, alert.deviceName ?? h('span', { class: 'muted' }, '—')),
    h('td', {}, ssidText(alert.ssid)),
    h('td', {}, alert.reason),
  );
}

/**
 * GET /ssid-alerts, read again (every 0.5 s, 10 s at most) until `shows` holds for it: the list comes from
 * the stores, which take in a write a moment after Kafka accepted it.
 */
async function readWatchList(shows) {
  for (let tries = 1; ; tries++) {
    const { alerts: list } = await getJson('/ssid-alerts');
    if (shows(list) || tries === 20) return list;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function watchRow(entry, onRemove) {
  return h(
    'tr',
    { 'data-ssid': entry.ssid },
    h('td', {}, ssidText(entry.ssid)),
    h('td', {}, entry.reason),
    h('td', {}, h('button', { type: 'button', onclick: () => onRemove(entry.ssid) }, 'Remove')),
  );
}

/** The watch list (GET /ssid-alerts), with a form to add an SSID and a button to remove each. */
function watchListSection() {
  const watched = h('tbody');
  const problem = h('div');
  const tokenSlot = h('div');
  const ssidInput = h('input', { type: 'text', id: 'watch-ssid', maxlength: 32, required: true });
  const reasonInput = h('input', { type: 'text', id: 'watch-reason', maxlength: 1000 });

  let entries = [];
  const show = (list) => {
    entries = list;
    watched.replaceChildren(...list.map((entry) => watchRow(entry, remove)));
  };
  async function load(shows = (_list) => true) {
    try {
      show(await readWatchList(shows));
    } catch (error) {
      problem.replaceChildren(notice('error', `Could not read the watch list: ${error.message}`));
    }
  }

  // A write refused for want of the token asks for it; the person then sends the form again. A write
  // accepted shows at once, and the list is read again to confirm it.
  async function attempt(action, expected, shows) {
    problem.replaceChildren();
    try {
      await action();
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'UNAUTHORIZED') {
        tokenSlot.replaceChildren(tokenForm(() => tokenSlot.replaceChildren()));
      } else problem.replaceChildren(notice('error', `Not saved: ${error.message}`));
      return false;
    }
    show(expected);
    await load(shows);
    return true;
  }

  const remove = (ssid) =>
    attempt(
      () => write('DELETE', `/ssid-alerts/${segment(ssid)}`),
      entries.filter((e) => e.ssid !== ssid),
      (list) => !list.some((e) => e.ssid === ssid),
    );
  const watch = (ssid, reason) =>
    attempt(
      () => write('PUT', `/ssid-alerts/${segment(ssid)}`, { reason }),
      [...entries.filter((e) => e.ssid !== ssid), { ssid, reason }],
      (list) => list.some((e) => e.ssid === ssid && e.reason === reason),
    );

  const form = h(
    'form',
    {
      class: 'inline',
      id: 'watch-form',
      onsubmit: async (event) => {
        event.preventDefault();
        if (await watch(ssidInput.value, reasonInput.value)) ssidInput.value = reasonInput.value = '';
      },
    },
    h('label', { for: 'watch-ssid' }, 'SSID '),
    ssidInput,
    h('label', { for: 'watch-reason' }, ' Reason '),
    reasonInput,
    h('button', { type: 'submit' }, 'Watch'),
  );
  load();
  return [
    h('h2', {}, 'Watched SSIDs'),
    problem,
    tokenSlot,
    form,
    table('watch-list', ['SSID', 'Reason', ''], watched),
  ];
}

/** The watch list, with add and remove, and the live feed (alerts since the page opened, newest first). */
export function renderAlerts(main) {
  const feed = h('tbody');
  const empty = h(
    'p',
    { class: 'muted' },
    'No alert since this page opened. They appear here as they happen.',
  );
  const drawFeed = () => {
    feed.replaceChildren(...alerts.history.slice(-200).reverse().map(alertRow));
    empty.hidden = alerts.history.length > 0;
  };
  main.append(
    ...watchListSection(),
    h('h2', {}, 'Alerts'),
    h('p', { class: 'muted' }, 'A device probed for a watched SSID.'),
    table('alert-feed', ['Time', 'MAC', 'Name', 'SSID', 'Reason'], feed),
    empty,
  );
  drawFeed();
  return alerts.subscribe(drawFeed);
}
