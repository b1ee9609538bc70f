import type { BytesStore, KeyValue } from './key-value-store.js';
import { ForwardingStore } from './wrapped-store.js';

/** Receives every change a change-logging store makes: a value, or null for a delete (a tombstone). */
export type ChangelogWriter = (key: Buffer, value: Buffer | null) => void;

/**
 * Writes through to the inner store, then logs the change, so the changelog topic can rebuild the store.
 * Sits below the caching store: it sees only what a commit flushes, one change per key per commit. (Put
 * above the cache, it reports every write as it is made: the engine uses it so to mirror a task's stores.)
 */
export class ChangeLoggingKeyValueStore extends ForwardingStore {
  readonly #log: ChangelogWriter;

  constructor(inner: BytesStore, log: ChangelogWriter) {
    super(inner);
    this.#log = log;
  }

  override put(key: Buffer, value: Buffer): void {
    this.inner.put(key, value);
    this.#log(key, value);
  }

  override putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    const existing = this.inner.putIfAbsent(key, value);
    if (existing === undefined) this.#log(key, value);
    return existing;
  }

  override putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    for (const { key, value } of entries) this.put(key, value);
  }

  override delete(key: Buffer): Buffer | undefined {
    const previous = this.inner.delete(key);
    this.#log(key, null);
    return previous;
  }
}
