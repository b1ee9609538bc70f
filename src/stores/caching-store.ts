import { StoreError } from './errors.js';
import { type BytesStore, type KeyValue, putIfAbsentByGet } from './key-value-store.js';
import { type BufferedWrite, overlaid } from './merge.js';
import { WrappedStore } from './wrapped-store.js';

/** value null: deleted since the last flush. */
type Dirty = BufferedWrite;

/** Bytes a buffered entry is charged: its key and value plus a fixed overhead for the map entry. */
const ENTRY_OVERHEAD = 64;

/**
 * Buffers writes between commits. Reads see the buffer first, so a processor (and an interactive query)
 * sees what the next commit will write. Repeated updates of a key collapse into one, so the layers below
 * (the changelog in particular) see one change per key per commit.
 *
 * The buffer is also what makes a commit all-or-nothing for the engine: `flush` hands it down at a commit,
 * `discard` drops it when the task must go back to its last commit (a rebalance, a failed commit).
 */
export class CachingKeyValueStore extends WrappedStore implements BytesStore {
  readonly #dirty = new Map<string, Dirty>();
  #bytes = 0;
  // The map key of the last key seen: a get and a put of one key convert it once.
  #lastKey: Buffer | undefined;
  #lastId = '';

  constructor(inner: BytesStore) {
    super(inner);
  }

  /** Bytes held in the buffer, for the engine's bound on buffered state. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  #id(key: Buffer): string {
    if (key !== this.#lastKey) {
      this.#lastId = key.toString('latin1');
      this.#lastKey = key;
    }
    return this.#lastId;
  }

  get(key: Buffer): Buffer | undefined {
    const dirty = this.#dirty.get(this.#id(key));
    if (dirty) return dirty.value ?? undefined;
    return this.inner.get(key);
  }

  put(key: Buffer, value: Buffer): void {
    if (!Buffer.isBuffer(value)) throw new TypeError(`store ${this.name}: a value must be a Buffer`);
    this.#set(key, value);
  }

  putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    return putIfAbsentByGet(this, key, value);
  }

  putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    this.#assertOpen();
    for (const { key, value } of entries) this.put(key, value);
  }

  delete(key: Buffer): Buffer | undefined {
    const previous = this.get(key);
    this.#set(key, null);
    return previous;
  }

  #assertOpen(): void {
    if (!this.inner.isOpen) throw new StoreError('STORE_NOT_OPEN', `store ${this.name} is not open`);
  }

  #set(key: Buffer, value: Buffer | null): void {
    this.#assertOpen();
    if (!Buffer.isBuffer(key)) throw new TypeError(`store ${this.name}: a key must be a Buffer`);
    const id = this.#id(key);
    const previous = this.#dirty.get(id);
    if (previous) this.#bytes -= previous.key.length + (previous.value?.length ?? 0) + ENTRY_OVERHEAD;
    this.#dirty.set(id, { key, value });
    this.#bytes += key.length + (value?.length ?? 0) + ENTRY_OVERHEAD;
  }

  range(from?: Buffer, to?: Buffer): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.#merged(this.inner.range(from, to), (key) => inRange(key, from, to));
  }

  all(): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.#merged(this.inner.all(), () => true);
  }

  /** The inner store's entries with the buffer laid over them, in key order. */
  #merged(
    inner: AsyncIterable<KeyValue<Buffer, Buffer>>,
    wanted: (key: Buffer) => boolean,
  ): AsyncGenerator<KeyValue<Buffer, Buffer>> {
    const overlay = [...this.#dirty.values()].filter((entry) => wanted(entry.key));
    overlay.sort((a, b) => Buffer.compare(a.key, b.key));
    return overlaid(inner, overlay, () => this.#assertOpen());
  }

  approximateNumEntries(): number {
    let count = this.inner.approximateNumEntries();
    for (const { key, value } of this.#dirty.values()) {
      const below = this.inner.get(key) !== undefined;
      if (value && !below) count += 1;
      else if (!value && below) count -= 1;
    }
    return count;
  }

  /** Hands the buffered writes to the inner store, in key order, without flushing it. */
  flushCache(): void {
    const entries = [...this.#dirty.values()].sort((a, b) => Buffer.compare(a.key, b.key));
    this.#dirty.clear();
    this.#bytes = 0;
    for (const { key, value } of entries) {
      if (value) this.inner.put(key, value);
      else this.inner.delete(key);
    }
  }

  /** Hands the buffered writes to the inner store, in key order, then flushes it. */
  override async flush(): Promise<void> {
    this.flushCache();
    await this.inner.flush();
  }

  /** Drops every write since the last flush. */
  discard(): void {
    this.#dirty.clear();
    this.#bytes = 0;
  }

  override close(): Promise<void> {
    this.discard();
    return this.inner.close();
  }
}

function inRange(key: Buffer, from?: Buffer, to?: Buffer): boolean {
  return (
    (from === undefined || Buffer.compare(key, from) >= 0) &&
    (to === undefined || Buffer.compare(key, to) <= 0)
  );
}
