import { StoreError } from './errors.js';
import type { BytesStore, KeyValue } from './key-value-store.js';

type Entry = KeyValue<Buffer, Buffer>;

/**
 * A store held in memory and lost on close: the bottom layer for state that need not survive a restart,
 * and for tests. get, put and delete take constant time on average; the first range or all after a new key
 * is added sorts the keys, and later ones reuse that order until another new key arrives.
 *
 * The store keeps the very buffers it is given and hands them back from get and iteration, without
 * copying: callers must not mutate a buffer after passing it in, nor one the store returned.
 *
 * Iteration reads a snapshot taken when range or all is called, so the store may be changed while an
 * iteration is in progress; closing the store ends the iteration with STORE_NOT_OPEN.
 */
export class InMemoryKeyValueStore implements BytesStore {
  readonly name: string;
  readonly persistent = false;

  // Keyed by the key's bytes as latin1, which maps each byte to one UTF-16 code unit: distinct byte
  // strings give distinct strings, and comparing those strings is comparing the bytes unsigned, which is
  // Buffer.compare's order.
  readonly #entries = new Map<string, Entry>();
  #sortedKeys: string[] | undefined = [];
  #open = true;

  constructor(name: string) {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError('A store name must be a non-empty string');
    }
    this.name = name;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get(key: Buffer): Buffer | undefined {
    this.#assertOpen();
    return this.#entries.get(mapKey(key))?.value;
  }

  put(key: Buffer, value: Buffer): void {
    this.#assertOpen();
    checkValue(value);
    this.#set(mapKey(key), key, value);
  }

  putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    this.#assertOpen();
    checkValue(value);
    const k = mapKey(key);
    const existing = this.#entries.get(k);
    if (existing !== undefined) return existing.value;
    this.#set(k, key, value);
    return undefined;
  }

  /** Checks every entry before writing any, so that a bad entry leaves the store unchanged. */
  putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    this.#assertOpen();
    const checked = Array.from(entries, ({ key, value }) => {
      checkValue(value);
      return { k: mapKey(key), key, value };
    });
    for (const { k, key, value } of checked) this.#set(k, key, value);
  }

  delete(key: Buffer): Buffer | undefined {
    this.#assertOpen();
    const k = mapKey(key);
    const existing = this.#entries.get(k);
    if (existing === undefined) return undefined;
    // The sorted keys stay valid: range skips keys no longer in the map, so a scan that deletes as it
    // goes does not re-sort on every step.
    this.#entries.delete(k);
    return existing.value;
  }

  range(from?: Buffer, to?: Buffer): AsyncIterable<KeyValue<Buffer, Buffer>> {
    this.#assertOpen();
    const sorted = this.#sorted();
    const start = from === undefined ? 0 : bisect(sorted, mapKey(from), 'left');
    const end = to === undefined ? sorted.length : bisect(sorted, mapKey(to), 'right');
    const snapshot: Entry[] = [];
    // Entries, not keys, so that later writes do not show up; keys deleted since the sort are skipped.
    for (const k of sorted.slice(start, end)) {
      const entry = this.#entries.get(k);
      if (entry !== undefined) snapshot.push(entry);
    }
    return this.#iterate(snapshot);
  }

  all(): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.range();
  }

  approximateNumEntries(): number {
    this.#assertOpen();
    return this.#entries.size;
  }

  async flush(): Promise<void> {
    // Nothing is buffered: every write is already in the map.
  }

  async close(): Promise<void> {
    this.#open = false;
    this.#entries.clear();
    this.#sortedKeys = [];
  }

  #set(k: string, key: Buffer, value: Buffer): void {
    // Overwriting keeps the key order; only a new key (including one deleted earlier) invalidates it. A fresh entry object, rather than a
    // mutated one, keeps snapshots already taken unchanged.
    if (!this.#entries.has(k)) this.#sortedKeys = undefined;
    this.#entries.set(k, { key, value });
  }

  #sorted(): string[] {
    // Default sort compares UTF-16 code units, which for latin1 keys is unsigned byte order.
    this.#sortedKeys ??= [...this.#entries.keys()].sort();
    return this.#sortedKeys;
  }

  async *#iterate(snapshot: Entry[]): AsyncGenerator<Entry> {
    for (const entry of snapshot) {
      this.#assertOpen();
      yield entry;
    }
  }

  #assertOpen(): void {
    if (!this.#open) throw new StoreError('STORE_NOT_OPEN', `Store ${this.name} is not open`);
  }
}

function mapKey(key: Buffer): string {
  if (!Buffer.isBuffer(key)) throw new TypeError(`A key must be a Buffer, got ${typeName(key)}`);
  return key.toString('latin1');
}

function checkValue(value: Buffer): void {
  if (!Buffer.isBuffer(value)) throw new TypeError(`A value must be a Buffer, got ${typeName(value)}`);
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  return typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
}

/**
 * Where k falls in sorted keys: with 'left', the index of the first key >= k; with 'right', of the first
 * key > k (as Python's bisect_left and bisect_right).
 */
function bisect(sorted: readonly string[], k: string, side: 'left' | 'right'): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const probe = sorted[mid] as string;
    if (probe < k || (side === 'right' && probe === k)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
