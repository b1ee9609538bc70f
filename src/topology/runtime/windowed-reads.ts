import { StoreError } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import type { Topology } from '../topology.js';
import type { LocalQueries, LocalQueryOptions, LocalQueryResult, WindowedCopy } from './local-queries.js';
import { readOnlySessionStore, readOnlyWindowStore } from './store-views.js';
import type { StreamsState } from './streams-state.js';
import type { StreamTask } from './task.js';
import { localWindowStore } from './windowed-queries.js';

/** One window (or session) of a key and its aggregate; start inclusive, end exclusive for time windows. */
export interface WindowedValue<V> {
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

/** A window of any key, as `windowFetchAll` answers. */
export interface WindowedEntry<K, V> extends WindowedValue<V> {
  readonly key: K;
}

/**
 * What this instance can answer for one key of a window or session store: its windows, from the copy
 * `queryLocal` would read (see LocalQueryResult for `active`, `stale` and `unavailable`).
 */
export type LocalFetchResult<T> =
  | { readonly kind: 'active'; readonly partition: number; readonly values: readonly T[] }
  | {
      readonly kind: 'stale';
      readonly partition: number;
      readonly values: readonly T[];
      readonly lag: number;
    }
  | Extract<LocalQueryResult<never>, { kind: 'unavailable' }>;

export interface WindowFetchAllOptions {
  /** At most this many windows; `more` says when there were others. Default 10,000. */
  readonly limit?: number;
}

/** The windows of the active tasks here that start in a time range, up to a limit. */
export interface WindowFetchAllResult<K, V> {
  readonly entries: readonly WindowedEntry<K, V>[];
  readonly more: boolean;
}

export const DEFAULT_FETCH_ALL_LIMIT = 10_000;

/** Reads a copy; a task closed meanwhile (a rebalance) leaves nothing to say of the key now. */
async function fromCopy<T>(
  copy: WindowedCopy,
  read: (copy: Extract<WindowedCopy, { kind: 'active' | 'stale' }>) => Promise<T[]> | T[],
): Promise<LocalFetchResult<T>> {
  if (copy.kind === 'unavailable') return copy;
  let values: T[];
  try {
    values = await read(copy);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'STORE_NOT_OPEN')
      return { kind: 'unavailable', partition: copy.partition, reason: 'restoring' };
    throw error;
  }
  return copy.kind === 'active'
    ? { kind: 'active', partition: copy.partition, values }
    : { kind: 'stale', partition: copy.partition, values, lag: copy.lag };
}

/** A key's time windows that start from `timeFrom` to `timeTo` inclusive (ReadOnlyWindowStore.fetch). */
export function windowFetch<K, V>(
  local: LocalQueries,
  storeName: string,
  key: K,
  timeFrom: number,
  timeTo: number,
  options: LocalQueryOptions = {},
): Promise<LocalFetchResult<WindowedValue<V>>> {
  return fromCopy(local.windowedCopy(storeName, key, 'window', options), async ({ builder, bytes }) => {
    const store = readOnlyWindowStore<K, V>(builder, bytes);
    const values: WindowedValue<V>[] = [];
    for await (const { key: start, value } of store.fetch(key, timeFrom, timeTo))
      values.push({ start, end: start + store.windowSizeMs, value });
    return values;
  });
}

/**
 * A key's sessions that end at or after `earliestSessionEndTime` and start at or before
 * `latestSessionStartTime` (ReadOnlySessionStore.findSessions); all retained ones without bounds.
 */
export function sessionFetch<K, V>(
  local: LocalQueries,
  storeName: string,
  key: K,
  earliestSessionEndTime = 0,
  latestSessionStartTime = Number.MAX_SAFE_INTEGER,
  options: LocalQueryOptions = {},
): Promise<LocalFetchResult<WindowedValue<V>>> {
  return fromCopy(local.windowedCopy(storeName, key, 'session', options), ({ builder, bytes }) =>
    readOnlySessionStore<K, V>(builder, bytes)
      .findSessions(key, earliestSessionEndTime, latestSessionStartTime)
      .map(({ key: windowed, value }) => ({ ...windowed.window, value })),
  );
}

/**
 * Every key's time windows that start from `timeFrom` to `timeTo`, in the active tasks here (restored;
 * during a rebalance, those still held), task by task, at most `limit`. Throws INVALID_STATE_STORE for an
 * unknown store or one not a window store, or an instance not RUNNING or REBALANCING; STORE_NOT_OPEN when
 * a rebalance closes a task while it is read.
 */
export async function windowFetchAll<K, V>(
  engine: {
    readonly topology: Topology;
    readonly state: StreamsState;
    readonly tasks: () => readonly StreamTask[];
    readonly partitions: (subtopology: number) => number;
  },
  range: { readonly storeName: string; readonly timeFrom: number; readonly timeTo: number },
  options: WindowFetchAllOptions = {},
): Promise<WindowFetchAllResult<K, V>> {
  const { topology, state, tasks, partitions } = engine;
  const { storeName, timeFrom, timeTo } = range;
  if (state !== 'RUNNING' && state !== 'REBALANCING')
    throw new StreamsError('INVALID_STATE_STORE', `cannot read ${storeName}: the instance is ${state}`);
  const limit = options.limit ?? DEFAULT_FETCH_ALL_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`limit must be a positive integer`);
  const entries: WindowedEntry<K, V>[] = [];
  const store = localWindowStore<K, V>(topology, storeName, tasks, partitions);
  for await (const { key, value } of store.fetchAll(timeFrom, timeTo)) {
    if (entries.length === limit) return { entries, more: true };
    entries.push({ key: key.key, ...key.window, value });
  }
  return { entries, more: false };
}
