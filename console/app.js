import { alerts, startFeeds } from './live.js';
import { renderAlerts } from './page-alerts.js';
import { renderDevice } from './page-device.js';
import { renderDevices } from './page-devices.js';
import { renderEngine } from './page-engine.js';
import { renderSql } from './page-sql.js';

// Hash routes: the server serves one page, and a link to a device (#/devices/<mac>) can be shared.
const routes = [
  {
    pattern: /^#\/devices\/([0-9a-f:]{17})$/,
    page: 'devices',
    render: (main, m) => renderDevice(main, m[1]),
  },
  { pattern: /^#\/alerts$/, page: 'alerts', render: renderAlerts },
  { pattern: /^#\/engine$/, page: 'engine', render: renderEngine },
  { pattern: /^#\/sql$/, page: 'sql', render: renderSql },
  { pattern: /^#\/devices$/, page: 'devices', render: renderDevices },
];

let cleanup = () => {};
let unseenAlerts = 0;

function route() {
  const main = document.getElementById('main');
  cleanup();
  main.replaceChildren();
  const hash = location.hash || '#/devices';
  const found = routes.find((r) => r.pattern.test(hash)) ?? routes.at(-1);
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    link.classList.toggle('current', link.getAttribute('data-page') === found.page);
  }
  if (found.page === 'alerts') setUnseenAlerts(0);
  cleanup = found.render(main, hash.match(found.pattern) ?? []) ?? (() => {});
}

function setUnseenAlerts(count) {
  unseenAlerts = count;
  const badge = document.getElementById('alert-badge');
  badge.textContent = String(count);
  badge.hidden = count === 0;
}

function showLive(state) {
  const live = document.getElementById('live');
  live.textContent = { live: 'live', retrying: 'reconnecting…', down: 'disconnected' }[state];
  live.className = `live ${state}`;
}

window.addEventListener('hashchange', route);
startFeeds(showLive);
alerts.subscribe(() => {
  if (!location.hash.startsWith('#/alerts')) setUnseenAlerts(unseenAlerts + 1);
});
route();
