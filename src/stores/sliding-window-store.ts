import type { KeyValueStore } from './key-value-store.js';
import { INDEX_PREFIX, readTime, segmentBound, segmentOf, writeTime } from './window-layout.js';
import { WindowStore, type WindowStoreOptions } from './window-store.js';

/** A window of a key as the sliding aggregation sees it: its start, aggregate and latest record time. */
export interface IndexedWindow<V> {
  readonly start: number;
  readonly value: V;
  /** The largest timestamp among the window's records. */
  readonly maxTimestamp: number;
}

/** How many index buckets span one time difference: more buckets, smaller rewrites, more lookups. */
const BUCKETS_PER_WINDOW = 8;

/**
 * The window store of a sliding-window aggregation. Its windows start wherever records fall, so the
 * aggregation must find a key's windows in a range of starts; a window store answers that only by
 * iterating, which is asynchronous, and a processor never awaits. So this store also keeps, per key and
 * per bucket of window starts, an index entry listing the starts (with each window's latest record time):
 * a range of starts is then a handful of synchronous gets.
 *
 * Index entries are `0x02 <segment:8> <key length:4> <key> <bucket:8>`, the segment that of the bucket's
 * last millisecond, so expiry deletes a bucket only once every window it lists has expired. The value is
 * `<start:8> <max timestamp:8>` per window, sorted by start. Windows themselves are laid out as in any
 * window store, so queries, changelogs and restores treat them alike.
 */
export class SlidingWindowStore<K, V> extends WindowStore<K, V> {
  readonly bucketMs: number;
  #indexExpiredBelow = 0;

  constructor(inner: KeyValueStore<Buffer, Buffer>, options: WindowStoreOptions<K, V>) {
    super(inner, options);
    this.bucketMs = Math.max(1, Math.ceil(options.windowSizeMs / BUCKETS_PER_WINDOW));
  }

  #bucketKey(key: Buffer, bucket: number): Buffer {
    const lastMs = (bucket + 1) * this.bucketMs - 1;
    const bytes = Buffer.allocUnsafe(9 + 4 + key.length + 8);
    segmentBound(INDEX_PREFIX, segmentOf(lastMs, this.segmentIntervalMs)).copy(bytes, 0);
    bytes.writeUInt32BE(key.length, 9);
    key.copy(bytes, 13);
    writeTime(bytes, 13 + key.length, bucket);
    return bytes;
  }

  #readBucket(key: Buffer, bucket: number): { start: number; maxTimestamp: number }[] {
    const bytes = this.bytes.get(this.#bucketKey(key, bucket));
    const entries: { start: number; maxTimestamp: number }[] = [];
    if (bytes === undefined) return entries;
    for (let at = 0; at + 16 <= bytes.length; at += 16)
      entries.push({ start: readTime(bytes, at), maxTimestamp: readTime(bytes, at + 8) });
    return entries;
  }

  /** The key's live windows that start from `fromStart` to `toStart` (inclusive), in start order. */
  windowsOf(key: K, fromStart: number, toStart: number): IndexedWindow<V>[] {
    const low = Math.max(fromStart, this.minLiveTime(), 0);
    if (low > toStart) return [];
    const keyBytes = this.keySerde.serialize(key);
    const windows: IndexedWindow<V>[] = [];
    const last = Math.floor(toStart / this.bucketMs);
    for (let bucket = Math.floor(low / this.bucketMs); bucket <= last; bucket++) {
      for (const { start, maxTimestamp } of this.#readBucket(keyBytes, bucket)) {
        if (start < low || start > toStart) continue;
        const value = this.fetch(key, start);
        if (value !== undefined) windows.push({ start, value, maxTimestamp });
      }
    }
    return windows;
  }

  /** Writes the key's window at `start` and indexes it. A window already expired is not written: false. */
  putWindow(key: K, start: number, value: V, maxTimestamp: number): boolean {
    if (!this.put(key, value, start)) return false;
    const keyBytes = this.keySerde.serialize(key);
    const bucket = Math.floor(start / this.bucketMs);
    const minLive = this.minLiveTime();
    const entries = this.#readBucket(keyBytes, bucket).filter((e) => e.start !== start && e.start >= minLive);
    entries.push({ start, maxTimestamp });
    entries.sort((a, b) => a.start - b.start);
    const bytes = Buffer.allocUnsafe(entries.length * 16);
    entries.forEach((e, i) => {
      writeTime(bytes, i * 16, e.start);
      writeTime(bytes, i * 16 + 8, e.maxTimestamp);
    });
    this.inner.put(this.#bucketKey(keyBytes, bucket), bytes);
    return true;
  }

  /**
   * Expires windows as any window store does, then the index buckets whose windows have all expired, reading
   * only those. Returns the number of entries deleted, of both kinds.
   */
  override async expire(): Promise<number> {
    const deleted = await super.expire();
    const streamTime = this.observedStreamTime;
    if (streamTime < 0) return deleted;
    const firstLive = segmentOf(this.minLiveTime(streamTime), this.segmentIntervalMs);
    if (firstLive <= this.#indexExpiredBelow) return deleted;
    const indexDeleted = await this.deleteSegmentsBelow(INDEX_PREFIX, firstLive);
    this.#indexExpiredBelow = firstLive;
    return deleted + indexDeleted;
  }
}
