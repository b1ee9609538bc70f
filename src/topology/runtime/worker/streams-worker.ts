/**
 * The worker thread of WorkerStreams: builds the topology from its source, runs a KafkaStreams, mirrors the
 * active tasks' stores to the parent, posts its status and answers the parent's requests. Started only by
 * WorkerStreams (worker-streams.ts).
 */

import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, type LogEntry } from '../../../logging/index.js';
import { StreamsError } from '../../errors.js';
import type { Topology } from '../../topology.js';
import type { ActiveTaskObserver, ObservedTask } from '../active-task-observer.js';
import { nextTurn } from '../event-loop-turns.js';
import { KafkaStreams } from '../kafka-streams.js';
import { storeSerdes } from '../streams-metadata.js';
import { MirrorWriter, mirrorStoreNames } from './mirror.js';
import {
  type EntriesReply,
  HEARTBEAT_MS,
  type QueryReply,
  type Request,
  serializeError,
  type WorkerData,
  type WorkerMessage,
  type WorkerStatus,
} from './protocol.js';
import { answerWindowed } from './worker-windowed.js';

const port = parentPort;
if (!port) throw new Error('streams-worker.ts runs as a worker thread of WorkerStreams');
const data = workerData as WorkerData;
const post = (message: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

if (data.niceness > 0 && process.platform === 'linux') {
  // On Linux a nice value belongs to a thread, and 0 names the calling one: the parent's thread, which
  // answers queries, keeps its priority while this one yields the cores to it.
  try {
    setPriority(0, Math.min(19, getPriority(0) + data.niceness));
  } catch {
    // Not allowed here: run at the same priority.
  }
}

const module = (await import(data.source.module)) as Record<string, unknown>;
const build = module[data.source.exportName ?? 'default'];
if (typeof build !== 'function') {
  throw new StreamsError(
    'INVALID_CONFIG',
    `${data.source.module} has no export ${data.source.exportName ?? 'default'} that builds a topology`,
  );
}
const topology = (build as (args: unknown) => Topology)(data.source.args);
if (topology.describe() !== data.description) {
  throw new StreamsError(
    'TOPOLOGY_MISMATCH',
    `the topology built from ${data.source.module} in the worker differs from the one given to WorkerStreams`,
  );
}

/** The engine's log entries go to the parent's logger, which cannot cross to this thread. */
function postLog(entry: LogEntry): void {
  try {
    post({ type: 'log', entry });
  } catch {
    // A field that cannot be cloned (a function in a kafkajs entry, say): the message still goes.
    const { fields: _dropped, ...plain } = entry;
    post({ type: 'log', entry: plain });
  }
}

const streams = new KafkaStreams(topology, { ...data.config, logger: createLogger(postLog, data.logLevel) });
const names = mirrorStoreNames(topology);
const indexOf = new Map(names.map((name, i) => [name, i]));
const mirrored = new Set(data.mirrored);
const writer = new MirrorWriter();
let flushing = false;
/** Assignments taken so far (see EntriesReply). */
let generation = 0;

// A heartbeat the parent reads without asking: the time of this thread's last free turn. While it is
// stuck (a long processor, a long pause) the parent stops answering from its mirror, which may be behind.
const heartbeat = new BigInt64Array(data.heartbeat);
const beat = () => Atomics.store(heartbeat, 0, BigInt(Date.now()));
beat();

/**
 * The mirror's writes go to the parent at most this often. Once per event-loop turn (a processing slice
 * of 2 ms or less) cost the worker a message per turn, 3 µs a record under load; the parent's lookups
 * see a write within this long instead.
 */
const MIRROR_FLUSH_MS = 10;
let lastFlush = 0;

function flushMirror(): void {
  flushing = false;
  lastFlush = performance.now();
  const operations = writer.take();
  if (operations) post({ type: 'mirror', operations }, [operations]);
}

function flushSoon(): void {
  if (flushing) return;
  flushing = true;
  const wait = lastFlush + MIRROR_FLUSH_MS - performance.now();
  if (wait <= 0) setImmediate(flushMirror);
  else setTimeout(flushMirror, wait);
}

/** Entries of a snapshot sent per event-loop turn. */
const SNAPSHOT_ENTRIES_PER_TURN = 1000;

/** The snapshot under way for each copy: a newer one (or a reset, or a close) makes an older one stop. */
const snapshots = new Map<number, object>();
const copyId = (store: number, partition: number) => partition * 65_536 + store;

async function snapshot(
  store: number,
  partition: number,
  range: () => AsyncIterable<{ key: Buffer; value: Buffer }>,
) {
  const id = copyId(store, partition);
  const token = {};
  snapshots.set(id, token);
  writer.begin(store, partition);
  flushSoon();
  try {
    let sent = 0;
    for await (const { key, value } of range()) {
      if (snapshots.get(id) !== token) return;
      writer.snapshot(store, partition, key, value);
      flushSoon();
      // A large in-memory store iterates without yielding: cut it in turns, so that the parent applies
      // it in pieces rather than in one long run.
      if (++sent % SNAPSHOT_ENTRIES_PER_TURN === 0) await nextTurn();
    }
    if (snapshots.get(id) !== token) return;
    snapshots.delete(id);
    writer.end(store, partition);
  } catch {
    // The task closed while it was read: its copy goes (a close posts DROP too), unless a newer
    // snapshot has taken the copy over meanwhile.
    if (snapshots.get(id) !== token) return;
    snapshots.delete(id);
    writer.drop(store, partition);
  }
  flushSoon();
}

const observer: ActiveTaskObserver = {
  reset() {
    generation += 1;
    snapshots.clear();
    writer.reset();
    flushSoon();
    postStatus();
  },
  ready(task: ObservedTask) {
    for (const store of task.stores) {
      const index = indexOf.get(store.name);
      if (index === undefined || !mirrored.has(store.name)) continue;
      void snapshot(index, task.id.partition, store.range);
    }
  },
  closed(task) {
    const sub = topology.subtopologies().find((s) => s.id === task.subtopology);
    for (const builder of sub?.stores ?? []) {
      const index = indexOf.get(builder.name);
      if (index === undefined || !mirrored.has(builder.name)) continue;
      snapshots.delete(copyId(index, task.partition));
      writer.drop(index, task.partition);
    }
    flushSoon();
  },
  write(task, store, key, value) {
    if (!mirrored.has(store)) return;
    writer.write(indexOf.get(store) as number, task.partition, key, value);
    flushSoon();
  },
};
streams.observeActiveTasks(observer);

let lastStatus = '';
function postStatus(): void {
  const status: WorkerStatus = {
    ready: streams.isReady(),
    partitions: streams.subtopologyPartitions(),
    lags: streams.localStoreLags(),
    clients: streams.metadataForAllStreamsClients(),
  };
  const text = JSON.stringify(status);
  if (text === lastStatus) return;
  lastStatus = text;
  post({ type: 'status', status });
}
// Lags and the group's members change without a state change: the status is looked at with each beat.
const timer = setInterval(() => {
  beat();
  postStatus();
}, HEARTBEAT_MS);

streams.onStateChange((next, previous) => {
  // Writes made before the change reach the parent before it hears of the change.
  const operations = writer.take();
  if (operations) post({ type: 'mirror', operations }, [operations]);
  // The status first: whoever waits for the state reads the status that goes with it.
  postStatus();
  post({ type: 'state', next, previous });
});
streams.setUncaughtExceptionHandler((error) => post({ type: 'failed', error: serializeError(error) }));

async function answer(request: Request): Promise<unknown> {
  switch (request.type) {
    case 'start':
      await streams.start();
      postStatus();
      return undefined;
    case 'close':
      clearInterval(timer);
      await streams.close();
      postStatus();
      return undefined;
    case 'query': {
      const builder = storeSerdes(topology, request.store);
      const key = builder.keySerde.deserialize(Buffer.from(request.key));
      const result = streams.queryLocal<unknown, unknown>(request.store, key, {
        includeStale: request.includeStale,
      });
      if (result.kind === 'unavailable') return result satisfies QueryReply;
      const value = result.value === undefined ? undefined : builder.valueSerde.serialize(result.value);
      return { ...result, value } satisfies QueryReply;
    }
    case 'entries': {
      const builder = storeSerdes(topology, request.store);
      const entries: [Uint8Array, Uint8Array][] = [];
      const at = generation;
      const options =
        request.from === undefined ? {} : { from: builder.keySerde.deserialize(Buffer.from(request.from)) };
      let more = false;
      for await (const { key, value } of streams.localEntries<unknown, unknown>(request.store, options)) {
        if (entries.length === request.limit) {
          more = true;
          break;
        }
        entries.push([builder.keySerde.serialize(key), builder.valueSerde.serialize(value)]);
      }
      if (generation !== at)
        throw new StreamsError(
          'INVALID_STATE_STORE',
          `the tasks here changed while ${request.store} was read`,
        );
      return { entries, more, generation: at } satisfies EntriesReply;
    }
    case 'windowed':
      return answerWindowed(streams, topology, request.store, request.read);
    case 'metrics':
      return request.format === 'json'
        ? await streams.metrics.registry.getMetricsAsJSON()
        : await streams.metrics.registry.metrics();
  }
}

port.on('message', (request: Request) => {
  answer(request).then(
    (value) => post({ type: 'reply', id: request.id, value }),
    (error: unknown) => post({ type: 'reply', id: request.id, error: serializeError(error) }),
  );
});
postStatus();
