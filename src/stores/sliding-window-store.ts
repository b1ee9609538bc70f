import type { KeyValueStore } from './key-value-store.js';
import { INDEX_PREFIX, readTime, segmentBound, segmentOf, writeTime } from './window-layout.js';
import { WindowStore, type WindowStoreOptions } from './window-store.js';

/** A window of a key as the index holds it: its start and the largest timestamp among its records. */
export interface WindowStart {
  readonly start: number;
  readonly maxTimestamp: number;
}

/** A window of a key with its aggregate, as the sliding aggregation writes it. */
export interface IndexedWindow<V> extends WindowStart {
  readonly value: V;
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

  #readBucket(key: Buffer, bucket: number): WindowStart[] {
    const bytes = this.bytes.get(this.#bucketKey(key, bucket));
    const entries: WindowStart[] = [];
    if (bytes === undefined) return entries;
    for (let at = 0; at + 16 <= bytes.length; at += 16)
      entries.push({ start: readTime(bytes, at), maxTimestamp: readTime(bytes, at + 8) });
    return entries;
  }

  /**
   * The key's live windows that start from `fromStart` to `toStart` (inclusive), in start order: their starts
   * and latest record times, from the index alone (values are read with `fetch`, for the windows needed).
   */
  windowStarts(key: K, fromStart: number, toStart: number): WindowStart[] {
    const low = Math.max(fromStart, this.minLiveTime(), 0);
    if (low > toStart) return [];
    const keyBytes = this.keySerde.serialize(key);
    const found: WindowStart[] = [];
    const last = Math.floor(toStart / this.bucketMs);
    for (let bucket = Math.floor(low / this.bucketMs); bucket <= last; bucket++)
      for (const entry of this.#readBucket(keyBytes, bucket))
        if (entry.start >= low && entry.start <= toStart) found.push(entry);
    return found;
  }

  /**
   * Writes the key's windows and indexes them, each index bucket read and written once however many of its
   * windows changed. Windows already expired are not written.
   */
  putWindows(key: K, windows: readonly IndexedWindow<V>[]): void {
    const keyBytes = this.keySerde.serialize(key);
    const minLive = this.minLiveTime();
    const byBucket = new Map<number, Map<number, number>>();
    for (const { start, value, maxTimestamp } of windows) {
      if (!this.put(key, value, start)) continue;
      const bucket = Math.floor(start / this.bucketMs);
      const changed = byBucket.get(bucket) ?? new Map<number, number>();
      byBucket.set(bucket, changed.set(start, maxTimestamp));
    }
    for (const [bucket, changed] of byBucket) {
      const entries = this.#readBucket(keyBytes, bucket).filter(
        (e) => e.start >= minLive && !changed.has(e.start),
      );
      for (const [start, maxTimestamp] of changed) entries.push({ start, maxTimestamp });
      entries.sort((a, b) => a.start - b.start);
      const bytes = Buffer.allocUnsafe(entries.length * 16);
      entries.forEach((e, i) => {
        writeTime(bytes, i * 16, e.start);
        writeTime(bytes, i * 16 + 8, e.maxTimestamp);
      });
      this.inner.put(this.#bucketKey(keyBytes, bucket), bytes);
    }
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
