import { StoreError } from './errors.js';
import { type BytesStore, type KeyValue, putIfAbsentByGet } from './key-value-store.js';
import { type BufferedWrite, overlaid } from './merge.js';
import { WrappedStore } from './wrapped-store.js';

/** value null: deleted since the last flush. */
type Dirty = BufferedWrite;

/** Bytes a buffered entry is charged: its key and value plus a fixed overhead for the map entry. */
const ENTRY_OVERHEAD = 64;

/** Default bound of the entries kept after a flush (see CachingStoreOptions.cleanBytes): 1 MiB. */
export const DEFAULT_CLEAN_CACHE_BYTES = 1024 * 1024;

export interface CachingStoreOptions {
  /**
   * Bytes of entries kept after they were flushed (or read from below), so that the next read of a key
   * written or read lately is answered here rather than by the inner store: an aggregation reads each
   * key it updates. The oldest written go first past the bound. 0 keeps none. Default 1 MiB.
   */
  readonly cleanBytes?: number;
}

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
  /** What the inner store holds for keys flushed or read lately; null: it holds nothing. */
  readonly #clean = new Map<string, Buffer | null>();
  #cleanBytes = 0;
  readonly #cleanLimit: number;
  // The map key of the last key seen: a get and a put of one key convert it once.
  #lastKey: Buffer | undefined;
  #lastId = '';

  constructor(inner: BytesStore, options: CachingStoreOptions = {}) {
    super(inner);
    const limit = options.cleanBytes ?? DEFAULT_CLEAN_CACHE_BYTES;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new TypeError(`cleanBytes must be a whole number of bytes, 0 or more; got ${limit}`);
    }
    this.#cleanLimit = limit;
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
    const id = this.#id(key);
    const dirty = this.#dirty.get(id);
    if (dirty) return dirty.value ?? undefined;
    const clean = this.#clean.get(id);
    if (clean !== undefined) return clean ?? undefined;
    const value = this.inner.get(key);
    this.#remember(id, value ?? null);
    return value;
  }

  /** Keeps what the inner store holds for a key, as the newest clean entry, within the bound. */
  #remember(id: string, value: Buffer | null): void {
    if (this.#cleanLimit === 0) return;
    const previous = this.#clean.get(id);
    if (previous !== undefined) {
      this.#cleanBytes -= id.length + (previous?.length ?? 0) + ENTRY_OVERHEAD;
      this.#clean.delete(id);
    }
    this.#clean.set(id, value);
    this.#cleanBytes += id.length + (value?.length ?? 0) + ENTRY_OVERHEAD;
    for (const [oldest, held] of this.#clean) {
      if (this.#cleanBytes <= this.#cleanLimit) break;
      this.#clean.delete(oldest);
      this.#cleanBytes -= oldest.length + (held?.length ?? 0) + ENTRY_OVERHEAD;
    }
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

  /**
   * Hands the buffered writes to the inner store, in the order their keys were first written since the last
   * flush (no sort: one entry per key, so any order leaves the same state and changelog), without flushing it.
   */
  flushCache(): void {
    const entries = [...this.#dirty];
    this.#dirty.clear();
    this.#bytes = 0;
    for (const [id, { key, value }] of entries) {
      if (value) this.inner.put(key, value);
      else this.inner.delete(key);
      this.#remember(id, value);
    }
  }

  /** Hands the buffered writes to the inner store, then flushes it. */
  override async flush(): Promise<void> {
    this.flushCache();
    await this.inner.flush();
  }

  /**
   * Drops every write since the last flush, and the clean entries: the engine may then take the inner
   * store back to its last commit, or restore it, below this layer.
   */
  discard(): void {
    this.#dirty.clear();
    this.#bytes = 0;
    this.#clean.clear();
    this.#cleanBytes = 0;
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
