import { type BytesStore, ForwardingStore, type KeyValue } from '../../stores/index.js';

/**
 * Refuses, before it is made, a write whose changelog record would be too large for the changelog topic.
 * Sits on top of the cache: the write fails while its record is being processed, so the record can go to
 * the DLQ, rather than when a commit flushes the cache, where it would stop the task.
 */
export class SizeCheckingStore extends ForwardingStore {
  readonly #check: (key: Buffer, value: Buffer) => void;

  /** `check` throws for an entry that must not be written. */
  constructor(inner: BytesStore, check: (key: Buffer, value: Buffer) => void) {
    super(inner);
    this.#check = check;
  }

  override put(key: Buffer, value: Buffer): void {
    this.#check(key, value);
    this.inner.put(key, value);
  }

  override putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    this.#check(key, value);
    return this.inner.putIfAbsent(key, value);
  }

  override putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    const list = [...entries];
    for (const { key, value } of list) this.#check(key, value);
    this.inner.putAll(list);
  }
}
