import { type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import type { Serde } from '../../../serdes/index.js';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../../stores/index.js';
import { StreamsError } from '../../errors.js';
import type { Topology } from '../../topology.js';
import { StreamsMetrics } from '../metrics.js';
import { partitionForKey } from '../murmur2.js';
import { storeOf, storeSerdes } from '../streams-metadata.js';
import type { StoreMirror } from './mirror.js';
import type { EntriesReply } from './protocol.js';

/** The worker's metrics, read from this thread: Prometheus text, or prom-client's JSON. */
export interface WorkerMetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  getMetricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  /** Names of the metrics the registry holds (the engine's, whatever their values). */
  metricNames(): readonly string[];
}

/** The engine's metrics registry as this thread sees it: every scrape asks the worker. */
export function workerMetricsRegistry(
  applicationId: string,
  scrape: (format: 'text' | 'json') => Promise<unknown>,
): WorkerMetricsRegistry {
  const metricNames = new StreamsMetrics(applicationId).registry
    .getMetricsAsArray()
    // prom-client's metric classes keep their name in a field its types do not declare.
    .map((metric) => (metric as unknown as { name: string }).name);
  return {
    contentType: Registry.PROMETHEUS_CONTENT_TYPE,
    metrics: () => scrape('text') as Promise<string>,
    getMetricsAsJSON: () => scrape('json') as Promise<MetricObjectWithValues<MetricValue<string>>[]>,
    metricNames: () => metricNames,
  };
}

/**
 * Entries the worker sends per request of a listing: a scan of 100,000 devices is 50 round trips to a worker
 * that may be busy processing, not 400; a chunk costs the worker about a millisecond.
 */
export const ENTRIES_CHUNK = 2048;

/** A Buffer over the bytes of an array that crossed from the worker, without a copy. */
export function bytes(array: Uint8Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A store's entries from `from` on, asked of the worker a chunk at a time (each chunk from the previous
 * one's last key). Throws INVALID_STATE_STORE when a rebalance changes the tasks between two chunks: the
 * listing would miss or repeat some entries.
 */
export async function* entriesInChunks<K, V>(
  ask: (from: Buffer | undefined) => Promise<EntriesReply>,
  storeName: string,
  serdes: { readonly keySerde: Serde<unknown>; readonly valueSerde: Serde<unknown> },
  from: K | undefined,
): AsyncGenerator<KeyValue<K, V>> {
  let next = from === undefined ? undefined : serdes.keySerde.serialize(from);
  let last: Buffer | undefined;
  let generation: number | undefined;
  for (;;) {
    const reply = await ask(next);
    if (generation !== undefined && reply.generation !== generation)
      throw new StreamsError('INVALID_STATE_STORE', `the tasks here changed while ${storeName} was read`);
    generation = reply.generation;
    for (const [keyBytes, valueBytes] of reply.entries) {
      const key = bytes(keyBytes);
      // Each chunk after the first starts at the previous one's last key.
      if (last?.equals(key)) continue;
      yield {
        key: serdes.keySerde.deserialize(key) as K,
        value: serdes.valueSerde.deserialize(bytes(valueBytes)) as V,
      };
    }
    const tail = reply.entries.at(-1);
    if (!reply.more || tail === undefined) return;
    last = bytes(tail[0]);
    next = last;
  }
}

/** A global store's key, as the worker's store holds it: one partition, numbered 0. */
export function globalKey<K>(topology: Topology, storeName: string, key: K) {
  const builder = storeSerdes(topology, storeName);
  return { builder, keyBytes: builder.keySerde.serialize(key), partition: 0 };
}

/** What a mirrored store's view reads: the mirror for keys, the worker for ranges. */
export interface MirroredStoreSource<K, V> {
  /** Whether the store is mirrored: only then can `get` answer. */
  readonly mirrored: boolean;
  readonly mirror: StoreMirror;
  partitions(subtopology: number): number | undefined;
  /** The active tasks' entries from a key on, read from the worker. */
  entries(from: K | undefined): AsyncIterable<KeyValue<K, V>>;
}

/** WorkerStreams.store: a key from the mirror, ranges from the worker. */
export function mirroredStoreView<K, V>(
  topology: Topology,
  storeName: string,
  source: MirroredStoreSource<K, V>,
): ReadOnlyKeyValueStore<K, V> {
  const { sub, builder } = storeOf(topology, storeName);
  async function* range(from?: K, to?: K): AsyncGenerator<KeyValue<K, V>> {
    const end = to === undefined ? undefined : builder.keySerde.serialize(to);
    for await (const entry of source.entries(from)) {
      if (end && Buffer.compare(builder.keySerde.serialize(entry.key), end) > 0) return;
      yield entry;
    }
  }
  return {
    get: (key: K) => {
      if (!source.mirrored)
        throw new StreamsError(
          'INVALID_STATE_STORE',
          `${storeName} is not mirrored to this thread (mirroredStores): read it with queryLocal`,
        );
      const keyBytes = builder.keySerde.serialize(key);
      const partition = partitionForKey(keyBytes, source.partitions(sub.id) ?? 1);
      const found = source.mirror.get(storeName, partition, keyBytes);
      return found.here && found.value !== undefined
        ? (builder.valueSerde.deserialize(found.value) as V)
        : undefined;
    },
    range,
    all: () => source.entries(undefined),
    approximateNumEntries: () => source.mirror.size(storeName),
  };
}
