import { getJson } from './api.js';
import { h, notice, number, table } from './dom.js';

const POLL_MS = 2000;

function sum(list, pick) {
  return list.reduce((total, item) => total + pick(item), 0);
}

/** records/s from two readings of one instance's counter. */
function rate(previous, status) {
  if (!previous || !status) return undefined;
  const seconds = (Date.parse(status.sampledAt) - Date.parse(previous.sampledAt)) / 1000;
  if (seconds <= 0) return undefined;
  return Math.max(0, (status.recordsProcessed - previous.recordsProcessed) / seconds);
}

function instanceRow(instance, recordsPerSecond) {
  const s = instance.status;
  const lag = s ? sum(s.consumerLag, (p) => p.lag) : undefined;
  const dead = s ? sum(s.deadLetters, (d) => d.records) : undefined;
  return h(
    'tr',
    { 'data-host': instance.host ?? '' },
    h(
      'td',
      { class: 'mono' },
      instance.host ?? '(no host)',
      instance.self ? h('span', { class: 'tag' }, 'this one') : null,
    ),
    h(
      'td',
      {},
      s ? s.state : h('span', { class: 'bad' }, instance.error ?? 'no answer'),
      s && !s.ready ? h('span', { class: 'tag warn' }, 'restoring') : null,
    ),
    h('td', { class: 'mono' }, instance.activeTasks.join(' ') || '—'),
    h('td', { class: 'mono' }, instance.standbyTasks.join(' ') || '—'),
    h('td', { class: 'num' }, number(instance.partitions.length)),
    h('td', { class: 'num' }, number(lag)),
    h('td', { class: 'num' }, s ? number(s.restoreRemaining) : '—'),
    h('td', { class: 'num' }, recordsPerSecond === undefined ? '…' : number(Math.round(recordsPerSecond))),
    h('td', { class: 'num' }, number(s?.recordsProcessed)),
    h('td', { class: dead ? 'num bad' : 'num' }, number(dead)),
  );
}

function storeRows(instances) {
  return instances.flatMap((instance) =>
    (instance.status?.stores ?? []).map((copy) =>
      h(
        'tr',
        {},
        h('td', { class: 'mono' }, instance.host ?? ''),
        h('td', {}, copy.store),
        h('td', { class: 'num' }, String(copy.partition)),
        h('td', {}, copy.role),
        h('td', {}, copy.restoring ? 'restoring' : 'caught up'),
        h('td', { class: 'num' }, copy.lag === null ? 'unknown' : number(copy.lag)),
      ),
    ),
  );
}

function deadLetterRows(instances) {
  return instances.flatMap((instance) =>
    (instance.status?.deadLetters ?? []).map((d) =>
      h(
        'tr',
        {},
        h('td', { class: 'mono' }, instance.host ?? ''),
        h('td', {}, d.topic),
        h('td', {}, d.code),
        h('td', { class: 'num' }, number(d.records)),
      ),
    ),
  );
}

/** The engine across instances (GET /engine every 2 s): tasks, partitions, lags, restores, throughput, dead letters. */
export function renderEngine(main) {
  const summary = h('p', { class: 'muted', id: 'engine-summary' }, 'Asking the instances…');
  const problem = h('div');
  const instances = h('tbody');
  const stores = h('tbody');
  const deadLetters = h('tbody');
  main.append(
    h('h2', {}, 'Engine'),
    summary,
    problem,
    table(
      'engine-instances',
      [
        'Instance',
        'State',
        'Active tasks',
        'Standby tasks',
        'Partitions',
        'Input lag',
        'To restore',
        'Records/s',
        'Processed',
        'Dead letters',
      ],
      instances,
    ),
    h('h3', {}, 'Store copies'),
    table('engine-stores', ['Instance', 'Store', 'Partition', 'Role', 'State', 'Changelog lag'], stores),
    h('h3', {}, 'Dead letters'),
    table('engine-dead-letters', ['Instance', 'Source topic', 'Reason', 'Records'], deadLetters),
  );

  const previous = new Map();
  let timer;
  let stopped = false;
  async function poll() {
    try {
      const answer = await getJson('/engine');
      const rates = answer.instances.map((i) => rate(previous.get(i.host), i.status));
      for (const i of answer.instances) if (i.status) previous.set(i.host, i.status);
      instances.replaceChildren(...answer.instances.map((i, n) => instanceRow(i, rates[n])));
      stores.replaceChildren(...storeRows(answer.instances));
      const dead = deadLetterRows(answer.instances);
      deadLetters.replaceChildren(
        ...(dead.length > 0
          ? dead
          : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'None: every record was read.'))]),
      );
      const total = sum(rates, (r) => r ?? 0);
      const lag = sum(answer.instances, (i) => sum(i.status?.consumerLag ?? [], (p) => p.lag));
      summary.textContent = `${answer.instances.length} instance${answer.instances.length === 1 ? '' : 's'} · ${number(Math.round(total))} records/s · input lag ${number(lag)} · updated every ${POLL_MS / 1000} s`;
      problem.replaceChildren();
    } catch (error) {
      problem.replaceChildren(notice('error', `Could not ask the instances: ${error.message}`));
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
