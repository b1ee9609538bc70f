import { ApiFailure, getJson, segment } from './api.js';
import { h, notice, number, ssidLabel, ssidText, timeText } from './dom.js';
import { probes } from './live.js';

const PAGE = 1000;
/** Rows drawn at once: the table stays quick with tens of thousands of devices; the filter finds the rest. */
const SHOWN = 500;
/** The stores are asked again this often, to take in what the probe stream cannot say (names, restores). */
const RESYNC_MS = 60_000;

// Kept across visits of the page, so coming back from a device is instant.
const devices = new Map();
let loaded = false;
let sort = { key: 'lastProbe', descending: true };
let filter = '';

function deviceOf(entry) {
  return {
    mac: entry.mac,
    deviceName: entry.deviceName ?? null,
    probeCount: entry.probeCount,
    lastProbe: Date.parse(entry.lastProbe),
    ssids: new Set(entry.ssidsProbed),
    fresh: 0,
  };
}

/** Every device in the stores, page by page. */
async function loadAll() {
  let cursor = null;
  const found = new Map();
  do {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set('cursor', cursor);
    const page = await getJson(`/devices?${query}`);
    for (const entry of page.devices) found.set(entry.mac, deviceOf(entry));
    cursor = page.nextCursor;
  } while (cursor);
  devices.clear();
  for (const [mac, device] of found) devices.set(mac, device);
  loaded = true;
}

/** A probe from the stream: counted at once; a device never seen is added, its name asked for shortly. */
function take(probe) {
  const at = Date.parse(probe.timestamp);
  let device = devices.get(probe.mac);
  if (!device) {
    device = { mac: probe.mac, deviceName: null, probeCount: 0, lastProbe: at, ssids: new Set(), fresh: 0 };
    devices.set(probe.mac, device);
    setTimeout(() => askName(device), 2000);
  }
  device.probeCount += 1;
  device.lastProbe = Math.max(device.lastProbe, at);
  device.ssids.add(probe.ssid);
  device.fresh = Date.now();
}

async function askName(device) {
  try {
    const stats = await getJson(`/devices/${segment(device.mac)}/stats`);
    device.deviceName = stats.deviceName;
  } catch {
    // Not counted yet, or the instance is busy: the next resync names it.
  }
}

function matches(device, text) {
  if (text === '') return true;
  if (device.mac.includes(text) || device.mac.replaceAll(':', '').includes(text.replaceAll(/[:-]/g, ''))) {
    return true;
  }
  if (device.deviceName?.toLowerCase().includes(text)) return true;
  for (const ssid of device.ssids) if (ssidLabel(ssid).toLowerCase().includes(text)) return true;
  return false;
}

function sorted(list) {
  const sign = sort.descending ? -1 : 1;
  const by =
    sort.key === 'probeCount'
      ? (a, b) => a.probeCount - b.probeCount || a.lastProbe - b.lastProbe
      : (a, b) => a.lastProbe - b.lastProbe || a.probeCount - b.probeCount;
  return list.sort((a, b) => sign * by(a, b) || a.mac.localeCompare(b.mac));
}

/** When the table was last drawn: a row is flashed once, on the first draw after its device changed. */
let lastDraw = 0;

function row(device) {
  const ssids = [...device.ssids].sort((a, b) => ssidLabel(a).localeCompare(ssidLabel(b)));
  return h(
    'tr',
    { 'data-mac': device.mac, class: device.fresh > lastDraw ? 'fresh' : undefined },
    h('td', { class: 'mono' }, h('a', { href: `#/devices/${device.mac}` }, device.mac)),
    h('td', { class: 'name' }, device.deviceName ?? h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num' }, number(device.probeCount)),
    h('td', { class: 'when' }, timeText(device.lastProbe)),
    h(
      'td',
      { class: 'ssids' },
      ssids.slice(0, 8).map((ssid) => ssidText(ssid)),
      ssids.length > 8 ? h('span', { class: 'muted' }, `+${ssids.length - 8} more`) : null,
    ),
  );
}

function sortHeader(key, label, onChange) {
  const current = sort.key === key;
  return h(
    'th',
    {
      class: key === 'probeCount' ? 'num' : undefined,
      'aria-sort': current ? (sort.descending ? 'descending' : 'ascending') : 'none',
    },
    h(
      'button',
      {
        type: 'button',
        class: 'sort',
        'data-sort': key,
        onclick: () => {
          sort = { key, descending: current ? !sort.descending : true };
          onChange();
        },
      },
      label,
      current ? (sort.descending ? ' ▼' : ' ▲') : '',
    ),
  );
}

/** `action` at most once per `ms`, however often the result is called. */
function throttled(action, ms) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      action();
    }, ms);
  };
}

/** Reads every device now and every RESYNC_MS after (sooner again after a failure); returns the stop. */
function keepInSync(onLoaded, onFailed) {
  let stopped = false;
  let timer;
  async function sync() {
    try {
      await loadAll();
      onLoaded();
      timer = setTimeout(sync, RESYNC_MS);
    } catch (error) {
      onFailed(error);
      timer = setTimeout(
        sync,
        error instanceof ApiFailure && error.retryAfter ? error.retryAfter * 1000 : 3000,
      );
    }
    if (stopped) clearTimeout(timer);
  }
  sync();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The devices table: all devices in the stores, then every probe request as it arrives. */
export function renderDevices(main) {
  const status = h('p', { class: 'muted', id: 'devices-status' }, 'Loading devices…');
  const problem = h('div');
  const body = h('tbody');
  const head = h('thead');
  const search = h('input', {
    type: 'search',
    id: 'device-filter',
    placeholder: 'Filter by MAC, name or SSID',
    'aria-label': 'Filter devices by MAC, name or SSID',
    value: filter,
    oninput: (event) => {
      filter = event.target.value.trim().toLowerCase();
      draw();
    },
  });
  main.append(
    h('section', { class: 'toolbar' }, h('h2', {}, 'Devices'), search),
    problem,
    h('table', { class: 'devices', id: 'devices' }, head, body),
    status,
  );

  let seen = 0;
  function draw() {
    head.replaceChildren(
      h(
        'tr',
        {},
        h('th', {}, 'MAC'),
        h('th', {}, 'Name'),
        sortHeader('probeCount', 'Probes', draw),
        sortHeader('lastProbe', 'Last probe', draw),
        h('th', {}, 'SSIDs probed'),
      ),
    );
    const shown = sorted([...devices.values()].filter((d) => matches(d, filter)));
    body.replaceChildren(...shown.slice(0, SHOWN).map(row));
    lastDraw = Date.now();
    status.textContent = loaded
      ? `${number(shown.length)} of ${number(devices.size)} devices${shown.length > SHOWN ? `, the first ${SHOWN} shown` : ''} · ${number(seen)} probe requests since this page opened, counted live`
      : 'Loading devices…';
  }

  // Draws at most twice a second, however fast probes come.
  const schedule = throttled(draw, 500);
  const unsubscribe = probes.subscribe((probe) => {
    seen += 1;
    if (loaded) {
      take(probe);
      schedule();
    }
  });

  draw();
  const stopSync = keepInSync(
    () => {
      problem.replaceChildren();
      draw();
    },
    (error) =>
      problem.replaceChildren(notice('error', `Could not list the devices: ${error.message}. Trying again.`)),
  );
  return () => {
    stopSync();
    unsubscribe();
  };
}
