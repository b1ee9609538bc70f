import type { KeyValueStore } from './key-value-store.js';
import { StreamTimeStore } from './stream-time-store.js';
import { encodeTime, readTime, writeTime } from './window-layout.js';

/** A record held back by suppression: its key and value (null: a delete), serialized, and its timestamp. */
export interface BufferedRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

const COUNT_KEY = Buffer.from('\x00count', 'latin1');
const BYTES_KEY = Buffer.from('\x00bytes', 'latin1');
const ENTRY = 0x01;
const INDEX = 0x02;

/**
 * The buffer behind `suppress`: the latest update of each key, held until a time of its own (its window's
 * close, or its first update plus a time limit) that stream time reaches. It is laid out in a key-value
 * store of bytes, so it is logged and restored like any store:
 * - `0x01 <time:8> <key>` → `<timestamp:8> <present:1> <value>`: entries in the order they come due;
 * - `0x02 <key>` → `<time:8>`: where a key's entry is;
 * - `0x00 …`: stream time, and the entries' count and bytes, so that bounds are checked without reading.
 */
export class SuppressionBuffer extends StreamTimeStore {
  /** Told of every entry that comes due, in due order, as `expire` removes it. */
  onDue: ((record: BufferedRecord) => void) | undefined;

  constructor(inner: KeyValueStore<Buffer, Buffer>, name: string) {
    super(inner, name);
    this.rememberStreamTime();
  }

  observe(time: number): void {
    this.observeTime(time);
  }

  /** Entries held. */
  get count(): number {
    return this.#number(COUNT_KEY, 0);
  }

  /** Bytes of the keys and values held. */
  get heldBytes(): number {
    return this.#number(BYTES_KEY, 0);
  }

  /** When the key's entry comes due, if one is held. */
  dueTime(key: Buffer): number | undefined {
    const at = this.inner.get(indexKey(key));
    return at === undefined ? undefined : readTime(at, 0);
  }

  /** Holds `record` until `dueTime`, replacing the key's entry if any. */
  put(record: BufferedRecord, dueTime: number): void {
    this.remove(record.key);
    const value = Buffer.allocUnsafe(9 + (record.value?.length ?? 0));
    writeTime(value, 0, record.timestamp);
    value[8] = record.value === null ? 0 : 1;
    record.value?.copy(value, 9);
    this.inner.put(entryKey(dueTime, record.key), value);
    this.inner.put(indexKey(record.key), encodeTime(dueTime));
    this.#adjust(1, record.key.length + (record.value?.length ?? 0));
  }

  /** Drops the key's entry, if one is held; answers it. */
  remove(key: Buffer): BufferedRecord | undefined {
    const due = this.dueTime(key);
    if (due === undefined) return undefined;
    const entry = this.inner.delete(entryKey(due, key));
    this.inner.delete(indexKey(key));
    if (entry === undefined) return undefined;
    const record = decode(key, entry);
    this.#adjust(-1, -(key.length + (record.value?.length ?? 0)));
    return record;
  }

  /**
   * Removes every entry due at or before stream time, oldest first, handing each to `onDue`. Reads only
   * those: entries sort by due time.
   */
  async expire(): Promise<number> {
    const now = this.observedStreamTime;
    if (now < 0 || this.count === 0) return 0;
    const due: BufferedRecord[] = [];
    for await (const { key, value } of this.inner.range(
      Buffer.from([ENTRY]),
      entryKey(now + 1, Buffer.alloc(0)),
    ))
      if (key.length >= 9 && readTime(key, 1) <= now) due.push(decode(key.subarray(9), value));
    for (const record of due) {
      this.remove(record.key);
      this.onDue?.(record);
    }
    return due.length;
  }

  #number(key: Buffer, absent: number): number {
    const bytes = this.inner.get(key);
    return bytes === undefined ? absent : readTime(bytes, 0);
  }

  #adjust(entries: number, bytes: number): void {
    this.inner.put(COUNT_KEY, encodeTime(this.count + entries));
    this.inner.put(BYTES_KEY, encodeTime(this.heldBytes + bytes));
  }
}

function entryKey(time: number, key: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(9 + key.length);
  bytes[0] = ENTRY;
  writeTime(bytes, 1, time);
  key.copy(bytes, 9);
  return bytes;
}

function indexKey(key: Buffer): Buffer {
  return Buffer.concat([Buffer.from([INDEX]), key]);
}

function decode(key: Buffer, entry: Buffer): BufferedRecord {
  return { key, timestamp: readTime(entry, 0), value: entry[8] === 1 ? entry.subarray(9) : null };
}
