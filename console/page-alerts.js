import { ApiFailure, getJson, segment, write } from './api.js';
import { h, notice, ssidText, timeText } from './dom.js';
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

/** The watch list, with add and remove, and the live feed (alerts since the page opened, newest first). */
export function renderAlerts(main) {
  const feed = h('tbody');
  const feedEmpty = h(
    'p',
    { class: 'muted' },
    'No alert since this page opened. They appear here as they happen.',
  );
  const watched = h('tbody');
  const problem = h('div');
  const tokenSlot = h('div');
  const ssidInput = h('input', {
    type: 'text',
    id: 'watch-ssid',
    maxlength: 32,
    required: true,
    'aria-label': 'SSID',
  });
  const reasonInput = h('input', {
    type: 'text',
    id: 'watch-reason',
    maxlength: 1000,
    'aria-label': 'Reason',
  });

  async function attempt(action) {
    problem.replaceChildren();
    try {
      await action();
      await loadWatchList();
      return true;
    } catch (error) {
      if (error instanceof ApiFailure && error.code === 'UNAUTHORIZED') {
        tokenSlot.replaceChildren(tokenForm(() => tokenSlot.replaceChildren()));
      } else problem.replaceChildren(notice('error', `Not saved: ${error.message}`));
      return false;
    }
  }

  async function loadWatchList() {
    try {
      const { alerts: list } = await getJson('/ssid-alerts');
      watched.replaceChildren(
        ...list.map((entry) =>
          h(
            'tr',
            { 'data-ssid': entry.ssid },
            h('td', {}, ssidText(entry.ssid)),
            h('td', {}, entry.reason),
            h(
              'td',
              {},
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => attempt(() => write('DELETE', `/ssid-alerts/${segment(entry.ssid)}`)),
                },
                'Remove',
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      problem.replaceChildren(notice('error', `Could not read the watch list: ${error.message}`));
    }
  }

  const drawFeed = () => {
    feed.replaceChildren(...alerts.history.slice(-200).reverse().map(alertRow));
    feedEmpty.hidden = alerts.history.length > 0;
  };

  main.append(
    h('h2', {}, 'Watched SSIDs'),
    problem,
    tokenSlot,
    h(
      'form',
      {
        class: 'inline',
        id: 'watch-form',
        onsubmit: async (event) => {
          event.preventDefault();
          const ok = await attempt(() =>
            write('PUT', `/ssid-alerts/${segment(ssidInput.value)}`, { reason: reasonInput.value }),
          );
          if (ok) ssidInput.value = reasonInput.value = '';
        },
      },
      h('label', { for: 'watch-ssid' }, 'SSID '),
      ssidInput,
      h('label', { for: 'watch-reason' }, ' Reason '),
      reasonInput,
      h('button', { type: 'submit' }, 'Watch'),
    ),
    h(
      'table',
      { id: 'watch-list' },
      h('thead', {}, h('tr', {}, h('th', {}, 'SSID'), h('th', {}, 'Reason'), h('th', {}, ''))),
      watched,
    ),
    h('h2', {}, 'Alerts'),
    h('p', { class: 'muted' }, 'A device probed for a watched SSID.'),
    h(
      'table',
      { id: 'alert-feed' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Time', 'MAC', 'Name', 'SSID', 'Reason'].map((t) => h('th', {}, t)),
        ),
      ),
      feed,
    ),
    feedEmpty,
  );
  drawFeed();
  loadWatchList();
  const unsubscribe = alerts.subscribe(drawFeed);
  return unsubscribe;
}
