import type { Serde } from '../serdes/index.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import { type BytesReader, StreamTimeStore } from './stream-time-store.js';
import {
  DATA_PREFIX,
  readWindowEntryKey,
  segmentBound,
  segmentIntervalFor,
  segmentOf,
  type Windowed,
  windowEntryKey,
} from './window-layout.js';

export type { BytesReader };

export interface WindowStoreOptions<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** How long a window is kept, in stream time after its start; at least its size plus grace. */
  readonly retentionMs: number;
  /** The windows' size, to answer their end. */
  readonly windowSizeMs: number;
}

/** What a windowed store has in common with a session store: a retention in stream time, by segments. */
export abstract class TimeBoundView<K, V> extends StreamTimeStore {
  readonly retentionMs: number;
  readonly segmentIntervalMs: number;
  protected readonly keySerde: Serde<K>;
  protected readonly valueSerde: Serde<V>;

  constructor(
    bytes: BytesReader,
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    retentionMs: number,
  ) {
    super(bytes, name);
    if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0)
      throw new TypeError(`store ${name}: a retention must be a positive whole number of ms`);
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.retentionMs = retentionMs;
    this.segmentIntervalMs = segmentIntervalFor(retentionMs);
  }

  /** The earliest time still retained: windows (sessions) that start (end) before it are expired. */
  protected minLiveTime(streamTime = this.observedStreamTime): number {
    return streamTime - this.retentionMs + 1;
  }
}

/**
 * Reads a window store: the aggregate of a key in each window, by window start. Expired windows (those that
 * started before stream time minus retention) are never answered, whether or not expiry has removed them.
 */
export class ReadOnlyWindowStore<K, V> extends TimeBoundView<K, V> {
  readonly windowSizeMs: number;

  constructor(bytes: BytesReader, options: WindowStoreOptions<K, V>) {
    super(bytes, options.name, options.keySerde, options.valueSerde, options.retentionMs);
    if (!Number.isSafeInteger(options.windowSizeMs) || options.windowSizeMs <= 0)
      throw new TypeError(`store ${options.name}: a window size must be a positive whole number of ms`);
    this.windowSizeMs = options.windowSizeMs;
  }

  /** The value of the key's window that starts at `windowStart`. */
  fetch(key: K, windowStart: number): V | undefined;
  /** The key's windows that start from `timeFrom` to `timeTo` (inclusive), in start order. */
  fetch(key: K, timeFrom: number, timeTo: number): AsyncIterable<KeyValue<number, V>>;
  fetch(key: K, from: number, to?: number): V | undefined | AsyncIterable<KeyValue<number, V>> {
    if (to === undefined) {
      if (from < this.minLiveTime()) return undefined;
      const bytes = this.bytes.get(
        windowEntryKey(this.keySerde.serialize(key), from, this.segmentIntervalMs),
      );
      return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes);
    }
    return this.#fetchRange(this.keySerde.serialize(key), from, to);
  }

  async *#fetchRange(key: Buffer, from: number, to: number): AsyncGenerator<KeyValue<number, V>> {
    const streamTime = this.observedStreamTime;
    const low = Math.max(from, this.minLiveTime(streamTime), 0);
    const high = Math.min(to, streamTime);
    if (streamTime < 0 || low > high) return;
    const interval = this.segmentIntervalMs;
    for (let segment = segmentOf(low, interval); segment <= segmentOf(high, interval); segment++) {
      const first = windowEntryKey(key, Math.max(low, segment * interval), interval);
      const last = windowEntryKey(key, Math.min(high, (segment + 1) * interval - 1), interval);
      for await (const entry of this.bytes.range(first, last)) {
        const decoded = readWindowEntryKey(entry.key);
        if (decoded) yield { key: decoded.start, value: this.valueSerde.deserialize(entry.value) };
      }
    }
  }

  /** Every key's windows that start from `timeFrom` to `timeTo` (inclusive). */
  async *fetchAll(timeFrom: number, timeTo: number): AsyncGenerator<KeyValue<Windowed<K>, V>> {
    const streamTime = this.observedStreamTime;
    const low = Math.max(timeFrom, this.minLiveTime(streamTime), 0);
    const high = Math.min(timeTo, streamTime);
    if (streamTime < 0 || low > high) return;
    const interval = this.segmentIntervalMs;
    const first = segmentBound(DATA_PREFIX, segmentOf(low, interval));
    const last = segmentBound(DATA_PREFIX, segmentOf(high, interval) + 1);
    for await (const entry of this.bytes.range(first, last)) {
      const decoded = readWindowEntryKey(entry.key);
      if (!decoded || decoded.start < low || decoded.start > high) continue;
      const window = { start: decoded.start, end: decoded.start + this.windowSizeMs };
      yield {
        key: { key: this.keySerde.deserialize(decoded.key), window },
        value: this.valueSerde.deserialize(entry.value),
      };
    }
  }

  /** Every retained window. */
  all(): AsyncGenerator<KeyValue<Windowed<K>, V>> {
    return this.fetchAll(0, Number.MAX_SAFE_INTEGER);
  }
}

/** The typed store a windowed aggregation writes: a window store over the task's key-value stack of bytes. */
export class WindowStore<K, V> extends ReadOnlyWindowStore<K, V> {
  /** Segments below this one are known expired: expiry has nothing to do until stream time passes on. */
  #expiredBelow = 0;

  constructor(inner: KeyValueStore<Buffer, Buffer>, options: WindowStoreOptions<K, V>) {
    super(inner, options);
    this.rememberStreamTime();
  }

  /** Moves the store's stream time on to `time`, if later. */
  observe(time: number): void {
    this.observeTime(time);
  }

  /**
   * Writes the key's window that starts at `windowStart` (null deletes it). A window already expired is not
   * written: false.
   */
  put(key: K, value: V | null, windowStart: number): boolean {
    if (windowStart < this.minLiveTime()) return false;
    const entryKey = windowEntryKey(this.keySerde.serialize(key), windowStart, this.segmentIntervalMs);
    if (value === null) this.inner.delete(entryKey);
    else this.inner.put(entryKey, this.valueSerde.serialize(value));
    return true;
  }

  /**
   * Deletes the windows of every segment that retention has expired, reading only those: the entries sort
   * by segment, so they are the store's first. Returns the number deleted. Deletes go through the stack, so
   * the changelog gets their tombstones and a restore never brings them back.
   */
  async expire(): Promise<number> {
    const streamTime = this.observedStreamTime;
    if (streamTime < 0) return 0;
    const firstLive = segmentOf(this.minLiveTime(streamTime), this.segmentIntervalMs);
    if (firstLive <= this.#expiredBelow) return 0;
    const deleted = await this.deleteSegmentsBelow(DATA_PREFIX, firstLive);
    this.#expiredBelow = firstLive;
    return deleted;
  }

  /** Deletes the entries under `prefix` in segments before `segment`, reading only those; their number. */
  protected async deleteSegmentsBelow(prefix: number, segment: number): Promise<number> {
    const expired: Buffer[] = [];
    for await (const { key } of this.inner.range(Buffer.from([prefix]), segmentBound(prefix, segment)))
      expired.push(key);
    for (const key of expired) this.inner.delete(key);
    return expired.length;
  }
}
