import {
  type BytesReader,
  type KeyValue,
  mergeSortedByKey,
  type ReadOnlyKeyValueStore,
} from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import { taskIdString } from '../record.js';
import type { StoreBuilder } from '../store-builder.js';
import type { Topology } from '../topology.js';
import { ChangelogLag } from './changelog-lag.js';
import { partitionForKey } from './murmur2.js';
import type { RestoreProgress } from './restorer.js';
import type { StandbyTask } from './standby-task.js';
import { keyValueStoreOf, storeOf } from './streams-metadata.js';
import type { StreamsState } from './streams-state.js';
import type { StreamTask } from './task.js';

/**
 * What this instance can answer for one key of a store, and how fresh the answer is. `partition` is the
 * key's partition, as `queryMetadataForKey` computes it.
 *
 * - `active`: the key's task runs here, restored, and the instance is not rebalancing; the value is read
 *   through the task's cache, so it is what the next commit will write (undefined: no such key).
 * - `stale` (only when asked for with `includeStale`): a copy that may be behind. A standby kept here, an
 *   active task here that is still restoring, or an active task kept across a rebalance in progress (lag 0:
 *   it holds what it last processed, and processes nothing until the rebalance ends). `lag` is the number
 *   of changelog offsets not yet applied (end offset - position), as of the copy's last look at the end.
 * - `unavailable`: `not-local` when no copy of the key's partition is here (ask the instance that owns it);
 *   `restoring` when the copy here is restoring, was caught in a rebalance, or has not yet learnt its lag
 *   (ask again shortly); `not-running` when the instance is not RUNNING or REBALANCING.
 */
export type LocalQueryResult<V> =
  | { readonly kind: 'active'; readonly partition: number; readonly value: V | undefined }
  | {
      readonly kind: 'stale';
      readonly partition: number;
      readonly value: V | undefined;
      readonly lag: number;
    }
  | {
      readonly kind: 'unavailable';
      readonly partition: number;
      readonly reason: 'not-local' | 'restoring' | 'not-running';
    };

/** A copy of a store partition that can answer (see LocalQueries.#copyOf): a task's stores or a standby's. */
type LocatedCopy =
  | {
      readonly kind: 'active' | 'stale';
      readonly lag: number;
      readonly task?: StreamTask;
      readonly standby?: StandbyTask;
    }
  | Extract<LocalQueryResult<never>, { kind: 'unavailable' }>;

/** A windowed store's copy that can answer a key, and its bytes; or why none can. */
export type WindowedCopy =
  | {
      readonly kind: 'active' | 'stale';
      readonly partition: number;
      /** 0 for an active copy. */
      readonly lag: number;
      readonly builder: StoreBuilder;
      readonly bytes: BytesReader;
    }
  | Extract<LocalQueryResult<never>, { kind: 'unavailable' }>;

export interface LocalQueryOptions {
  /** Accept an answer from a copy that may be behind (a standby, a restoring task). Defaults to false. */
  readonly includeStale?: boolean;
}

export interface LocalEntriesOptions<K> {
  /** The first key to yield (inclusive), if present; defaults to the store's first key. */
  readonly from?: K;
}

/** One local copy of one partition of a store, and how far it is behind its changelog. */
export interface StoreLag {
  readonly store: string;
  readonly partition: number;
  readonly role: 'active' | 'standby';
  /**
   * Active: the task is restoring its stores and processes nothing yet. Standby: the copy has not yet
   * reached its changelog's end since it started following it.
   */
  readonly restoring: boolean;
  /** Changelog offsets not yet applied; 0 for a running active task; undefined while unknown. */
  readonly lag: number | undefined;
}

/** What local queries read of the engine that runs the tasks. */
export interface LocalQueryHost {
  state(): StreamsState;
  /** True from the start of a rebalance until its assignment is in place, new tasks restored. */
  rebalancing(): boolean;
  /** A sub-topology's partition count; undefined before the instance has looked its topics up. */
  partitions(subtopology: number): number | undefined;
  /** The active tasks here, restored. */
  activeTasks(): Iterable<StreamTask>;
  standbyTasks(): Iterable<StandbyTask>;
  /** A global store, whole on every instance, if the topology has one of that name. */
  globalStore?(name: string): ReadOnlyKeyValueStore<unknown, unknown> | undefined;
}

interface RestoringTask {
  readonly task: StreamTask;
  readonly lags: ReadonlyMap<string, ChangelogLag>;
}

/**
 * Reads of the state kept here, for interactive queries: a key from whichever local copy may answer it
 * (active, restoring or standby), the active tasks' entries in key order, readiness and lags. Everything is
 * read from local state and what the restore and standby loops last saw: no call waits for the broker.
 */
export class LocalQueries {
  readonly #topology: Topology;
  readonly #host: LocalQueryHost;
  readonly #restoring = new Map<string, RestoringTask>();

  constructor(topology: Topology, host: LocalQueryHost) {
    this.#topology = topology;
    this.#host = host;
  }

  /**
   * Runs a new task's restore, during which queries with `includeStale` may read the task's stores and are
   * told their lag. `restore` must report each store's progress through the callback it is given.
   */
  async whileRestoring<T>(
    task: StreamTask,
    restore: (onProgress: (progress: RestoreProgress) => void) => Promise<T>,
  ): Promise<T> {
    const lags = new Map<string, ChangelogLag>();
    for (const { builder } of task.stores.values()) {
      const lag = new ChangelogLag();
      // No changelog and no source topic: nothing to restore, nothing to be behind.
      if (!builder.logging && !builder.sourceTopic) lag.observe({ to: 0n, position: 0n });
      lags.set(builder.name, lag);
    }
    this.#restoring.set(task.idString, { task, lags });
    try {
      return await restore((progress) => lags.get(progress.store)?.observe(progress));
    } finally {
      this.#restoring.delete(task.idString);
    }
  }

  /**
   * A key's value from the best copy here (see LocalQueryResult). Synchronous, like a store's `get`: every
   * store layer serves reads from memory or with LevelDB's synchronous get, a standby's store included.
   * Throws INVALID_STATE_STORE when the topology has no such store, or before the instance has started
   * (the key's partition cannot be known yet).
   */
  queryLocal<K, V>(storeName: string, key: K, options: LocalQueryOptions = {}): LocalQueryResult<V> {
    const global = this.#host.globalStore?.(storeName);
    if (global) {
      // Every instance holds all of it: the answer is here, as current as the topic it follows.
      if (!queryable(this.#host.state())) return { kind: 'unavailable', partition: 0, reason: 'not-running' };
      return { kind: 'active', partition: 0, value: global.get(key) as V | undefined };
    }
    const { sub, builder, keyBytes, partition } = locateKey(this.#topology, storeName, key, (id) =>
      this.#host.partitions(id),
    );
    const copy = this.#copyOf(storeName, sub.id, partition, options.includeStale === true);
    if (copy.kind === 'unavailable') return copy;
    const value = (
      copy.standby
        ? deserialize(builder, copy.standby.get(storeName, keyBytes))
        : copy.task?.stores.get(storeName)?.top.get(key)
    ) as V | undefined;
    return copy.kind === 'active'
      ? { kind: 'active', partition, value }
      : { kind: 'stale', partition, value, lag: copy.lag };
  }

  /**
   * The copy here of a windowed store's key, picked as queryLocal picks one (see LocalQueryResult), with
   * its bytes to read ranges from. Throws INVALID_STATE_STORE as queryLocal does, or when the store is not
   * of `type`.
   */
  windowedCopy<K>(
    storeName: string,
    key: K,
    type: 'window' | 'session',
    options: LocalQueryOptions = {},
  ): WindowedCopy {
    const { sub, builder, partition } = locateKey(
      this.#topology,
      storeName,
      key,
      (id) => this.#host.partitions(id),
      type,
    );
    const copy = this.#copyOf(storeName, sub.id, partition, options.includeStale === true);
    if (copy.kind === 'unavailable') return copy;
    const bytes = copy.standby
      ? copy.standby.bytesOf(storeName)
      : (copy.task?.stores.get(storeName)?.top as unknown as BytesReader | undefined);
    if (!bytes) return { kind: 'unavailable', partition, reason: 'restoring' };
    return { kind: copy.kind, partition, lag: copy.lag, builder, bytes };
  }

  /** Which copy of a store partition here answers, and how fresh it is (see LocalQueryResult). */
  #copyOf(storeName: string, subtopology: number, partition: number, includeStale: boolean): LocatedCopy {
    const unavailable = (reason: 'not-local' | 'restoring' | 'not-running') =>
      ({ kind: 'unavailable', partition, reason }) as const;
    if (!queryable(this.#host.state())) return unavailable('not-running');
    const id = taskIdString({ subtopology, partition });
    const active = find(this.#host.activeTasks(), (task) => task.idString === id);
    if (active) {
      if (!this.#host.rebalancing()) return { kind: 'active', lag: 0, task: active };
      return includeStale ? { kind: 'stale', lag: 0, task: active } : unavailable('restoring');
    }
    const restoring = this.#restoring.get(id);
    if (restoring) {
      const lag = restoring.lags.get(storeName)?.lag;
      if (!includeStale || lag === undefined) return unavailable('restoring');
      return { kind: 'stale', lag, task: restoring.task };
    }
    const standby = find(
      this.#host.standbyTasks(),
      (task) => task.idString === id && task.storeNames.includes(storeName),
    );
    if (standby && includeStale) {
      const lag = standby.lagOf(storeName)?.lag;
      if (lag === undefined) return unavailable('restoring');
      return { kind: 'stale', lag, standby };
    }
    return unavailable('not-local');
  }

  /**
   * The entries of a store in the active tasks here (restored; during a rebalance, those still held), in
   * the order of their serialized keys (unsigned bytes, as stores sort), from `from` inclusive. Each task's
   * range is read through its cache, lazily: a task closed meanwhile (a rebalance) ends the iteration with
   * STORE_NOT_OPEN. Throws INVALID_STATE_STORE for an unknown store or an instance not RUNNING or
   * REBALANCING.
   */
  localEntries<K, V>(storeName: string, options: LocalEntriesOptions<K> = {}): AsyncIterable<KeyValue<K, V>> {
    const global = this.#host.globalStore?.(storeName);
    const state = this.#host.state();
    if (!queryable(state))
      throw new StreamsError('INVALID_STATE_STORE', `cannot read ${storeName}: the instance is ${state}`);
    if (global) return global.range(options.from) as AsyncIterable<KeyValue<K, V>>;
    const { sub, builder } = keyValueStoreOf(this.#topology, storeName);
    const from = options.from === undefined ? undefined : builder.keySerde.serialize(options.from);
    const ranges = [...this.#host.activeTasks()]
      .filter((task) => task.id.subtopology === sub.id)
      .sort((a, b) => a.id.partition - b.id.partition)
      .flatMap((task) => task.stores.get(storeName)?.cache.range(from) ?? []);
    return typed<K, V>(mergeSortedByKey(ranges), builder);
  }

  /** RUNNING, with no active task restoring: every partition assigned here answers `active`. */
  isReady(): boolean {
    return this.#host.state() === 'RUNNING' && this.#restoring.size === 0;
  }

  /** Every local copy of every store partition, with its lag; sorted by store, partition, then role. */
  localStoreLags(): StoreLag[] {
    const lags: StoreLag[] = [];
    for (const task of this.#host.activeTasks()) {
      for (const store of task.stores.keys())
        lags.push({ store, partition: task.id.partition, role: 'active', restoring: false, lag: 0 });
    }
    for (const { task, lags: restoring } of this.#restoring.values()) {
      for (const [store, lag] of restoring)
        lags.push({ store, partition: task.id.partition, role: 'active', restoring: true, lag: lag.lag });
    }
    for (const standby of this.#host.standbyTasks()) {
      for (const store of standby.storeNames) {
        const lag = standby.lagOf(store);
        const partition = standby.id.partition;
        lags.push({ store, partition, role: 'standby', restoring: !lag?.caughtUp, lag: lag?.lag });
      }
    }
    return lags.sort(
      (a, b) =>
        (a.store < b.store ? -1 : a.store > b.store ? 1 : 0) ||
        a.partition - b.partition ||
        (a.role === b.role ? 0 : a.role === 'active' ? -1 : 1),
    );
  }
}

/**
 * A key's store, serialized form and partition. Throws INVALID_STATE_STORE for an unknown store, or when
 * the partition count is not known yet (the instance has not started).
 */
export function locateKey<K>(
  topology: Topology,
  storeName: string,
  key: K,
  partitionsOf: (subtopology: number) => number | undefined,
  type: 'keyValue' | 'window' | 'session' = 'keyValue',
) {
  const { sub, builder } =
    type === 'keyValue' ? keyValueStoreOf(topology, storeName) : storeOf(topology, storeName);
  if ((builder.type ?? 'keyValue') !== type)
    throw new StreamsError('INVALID_STATE_STORE', `${storeName} is not a ${type} store`);
  const count = partitionsOf(sub.id);
  if (count === undefined)
    throw new StreamsError(
      'INVALID_STATE_STORE',
      `the instance has not started: ${storeName} has no partitions yet`,
    );
  const keyBytes = builder.keySerde.serialize(key);
  return { sub, builder, keyBytes, partition: partitionForKey(keyBytes, count) };
}

function queryable(state: StreamsState): boolean {
  return state === 'RUNNING' || state === 'REBALANCING';
}

function find<T>(items: Iterable<T>, predicate: (item: T) => boolean): T | undefined {
  for (const item of items) if (predicate(item)) return item;
  return undefined;
}

function deserialize(builder: StoreBuilder, bytes: Buffer | undefined): unknown {
  return bytes === undefined ? undefined : builder.valueSerde.deserialize(bytes);
}

async function* typed<K, V>(
  entries: AsyncIterable<KeyValue<Buffer, Buffer>>,
  builder: StoreBuilder,
): AsyncGenerator<KeyValue<K, V>> {
  for await (const { key, value } of entries)
    yield { key: builder.keySerde.deserialize(key) as K, value: builder.valueSerde.deserialize(value) as V };
}
