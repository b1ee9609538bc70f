// The push queries (server-sent events), one connection each for the whole page: every view subscribes
// to the same feed, and what arrived since the page opened is kept for views opened later (the alerts
// feed, a device's chart). EventSource reconnects by itself; nothing is replayed on reconnection.

/** Events kept per feed: enough for a device chart over a long session, bounded for memory. */
const KEEP = { probe: 20_000, alert: 1_000 };

class Feed {
  constructor(path, event) {
    this.path = path;
    this.event = event;
    this.history = [];
    this.listeners = new Set();
    this.source = undefined;
  }

  start(onState) {
    if (this.source) return;
    this.source = new EventSource(this.path);
    this.source.addEventListener('open', () => onState(this.event, 'open'));
    this.source.addEventListener('error', () =>
      onState(this.event, this.source.readyState === EventSource.CLOSED ? 'closed' : 'retrying'),
    );
    this.source.addEventListener(this.event, (message) => {
      let value;
      try {
        value = JSON.parse(message.data);
        // Arrival time, which the charts use: a replayed capture's event times may be years old.
        value.receivedAt = Date.now();
      } catch {
        return;
      }
      this.history.push(value);
      if (this.history.length > KEEP[this.event])
        this.history.splice(0, this.history.length - KEEP[this.event]);
      for (const listener of this.listeners) listener(value);
    });
  }

  /** Calls `listener` with each event from now on; returns the unsubscribe function. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const probes = new Feed('/probes/stream', 'probe');
export const alerts = new Feed('/alerts/stream', 'alert');

/** When the page opened: the probe stream (and so a device's chart) starts here. */
export const openedAt = Date.now();

const states = {};

/** Opens both feeds; `show` is told 'live', 'retrying' or 'down' as their connections change. */
export function startFeeds(show) {
  const onState = (event, state) => {
    states[event] = state;
    const all = Object.values(states);
    show(all.every((s) => s === 'open') ? 'live' : all.some((s) => s === 'closed') ? 'down' : 'retrying');
  };
  probes.start(onState);
  alerts.start(onState);
}
