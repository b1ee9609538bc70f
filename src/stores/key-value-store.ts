/**
 * The store contracts. Stores stack as decorators over a KeyValueStore (metered → caching → change-logging
 * → in-memory or LevelDB); each layer implements the same interface and delegates to the one below.
 *
 * Reads and writes are synchronous, so that a processor handles a record without awaiting: every layer
 * keeps what a processor touches in memory (the LevelDB layer reads with getSync). Iteration is
 * asynchronous, because a persistent store iterates from disk. Only opening (LevelDbKeyValueStore.open),
 * flush and close do I/O that must be awaited.
 */

/** A key and its value, as iteration yields them. */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/** What every store has, whatever it holds. */
export interface StateStore {
  readonly name: string;
  /** True when the store keeps its data on disk across restarts. */
  readonly persistent: boolean;
  /** True from the store's opening until close. */
  readonly isOpen: boolean;
  /** Writes whatever the store buffers to the layer below (and, at the bottom, to disk). */
  flush(): Promise<void>;
  /**
   * Releases the store. Idempotent: it may be called several times. Does not flush: a caller that wants
   * buffered writes kept calls flush first.
   */
  close(): Promise<void>;
}

/**
 * A sorted key-value store. Keys are ordered by their serialized bytes (lexicographically, unsigned),
 * which is the order `range` and `all` yield. `undefined` means absent: a store never holds undefined.
 */
export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  /** Puts only when the key is absent; returns the value already there, if any. */
  putIfAbsent(key: K, value: V): V | undefined;
  putAll(entries: Iterable<KeyValue<K, V>>): void;
  /** Removes the key; returns the value it had, if any. */
  delete(key: K): V | undefined;
  /** Entries with from <= key <= to (both inclusive; either bound may be omitted), in key order. */
  range(from?: K, to?: K): AsyncIterable<KeyValue<K, V>>;
  /** Every entry, in key order. */
  all(): AsyncIterable<KeyValue<K, V>>;
  /** The number of entries, exact for in-memory stores, an estimate for persistent ones. */
  approximateNumEntries(): number;
}

/** A store as interactive queries see it: reads only. */
export type ReadOnlyKeyValueStore<K, V> = Pick<
  KeyValueStore<K, V>,
  'get' | 'range' | 'all' | 'approximateNumEntries'
>;

/** Bytes in, bytes out: the layers below the metered store work on serialized keys and values. */
export type BytesStore = KeyValueStore<Buffer, Buffer>;

/** putIfAbsent as a get then a put, for a layer whose get and put already do the checking. */
export function putIfAbsentByGet<K, V>(
  store: Pick<KeyValueStore<K, V>, 'get' | 'put'>,
  key: K,
  value: V,
): V | undefined {
  const existing = store.get(key);
  if (existing === undefined) store.put(key, value);
  return existing;
}
