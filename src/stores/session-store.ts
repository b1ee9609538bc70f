import type { Serde } from '../serdes/index.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import {
  DATA_PREFIX,
  decodeSessions,
  encodeSessions,
  INDEX_PREFIX,
  INDEX_VALUE,
  type StoredSession,
  segmentBound,
  segmentOf,
  sessionEntryKey,
  sessionIndexKey,
  type Windowed,
} from './window-layout.js';
import { type BytesReader, TimeBoundView } from './window-store.js';

export interface SessionStoreOptions<K, V> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** How long a session is kept, in stream time after its end; at least the gap plus grace. */
  readonly retentionMs: number;
}

/**
 * Reads a session store: per key, its sessions (windows of activity split by a gap of inactivity) and their
 * aggregates. A key's sessions are one entry, so every read is a single synchronous lookup. Sessions that
 * ended before stream time minus retention are never answered.
 */
export class ReadOnlySessionStore<K, V> extends TimeBoundView<K, V> {
  constructor(bytes: BytesReader, options: SessionStoreOptions<K, V>) {
    super(bytes, options.name, options.keySerde, options.valueSerde, options.retentionMs);
  }

  protected sessionsOf(keyBytes: Buffer): StoredSession[] {
    const minLive = this.minLiveTime();
    return decodeSessions(this.bytes.get(sessionEntryKey(keyBytes))).filter((s) => s.end >= minLive);
  }

  #typed(key: K, sessions: readonly StoredSession[]): KeyValue<Windowed<K>, V>[] {
    return sessions.map(({ start, end, value }) => ({
      key: { key, window: { start, end } },
      value: this.valueSerde.deserialize(value),
    }));
  }

  /** Every retained session of the key, by start. */
  fetch(key: K): KeyValue<Windowed<K>, V>[] {
    return this.#typed(key, this.sessionsOf(this.keySerde.serialize(key)));
  }

  /** The key's sessions that end at or after `earliestSessionEndTime` and start at or before `latestSessionStartTime`. */
  findSessions(
    key: K,
    earliestSessionEndTime: number,
    latestSessionStartTime: number,
  ): KeyValue<Windowed<K>, V>[] {
    const sessions = this.sessionsOf(this.keySerde.serialize(key));
    return this.#typed(
      key,
      sessions.filter((s) => s.end >= earliestSessionEndTime && s.start <= latestSessionStartTime),
    );
  }

  /** The aggregate of exactly the session [start, end] of the key. */
  fetchSession(key: K, start: number, end: number): V | undefined {
    const found = this.sessionsOf(this.keySerde.serialize(key)).find(
      (s) => s.start === start && s.end === end,
    );
    return found === undefined ? undefined : this.valueSerde.deserialize(found.value);
  }

  /** Every retained session of every key, by key bytes then start. */
  async *all(): AsyncGenerator<KeyValue<Windowed<K>, V>> {
    const minLive = this.minLiveTime();
    for await (const entry of this.bytes.range(Buffer.from([DATA_PREFIX]), Buffer.from([INDEX_PREFIX]))) {
      if (entry.key.length === 1) continue;
      const key = this.keySerde.deserialize(entry.key.subarray(1));
      const live = decodeSessions(entry.value).filter((s) => s.end >= minLive);
      yield* this.#typed(key, live);
    }
  }
}

/** The typed store a session-windowed aggregation writes, over the task's key-value stack of bytes. */
export class SessionStore<K, V> extends ReadOnlySessionStore<K, V> {
  #expiredBelow = 0;

  constructor(inner: KeyValueStore<Buffer, Buffer>, options: SessionStoreOptions<K, V>) {
    super(inner, options);
    this.rememberStreamTime();
  }

  /** Moves the store's stream time on to `time`, if later. */
  observe(time: number): void {
    this.observeTime(time);
  }

  /** Writes the session's aggregate (replacing a session with the same start and end). False if expired. */
  put(session: Windowed<K>, value: V): boolean {
    return this.replace([], session, value);
  }

  /**
   * Replaces the key's sessions `merged` with `session` in one read and one write of the key's entry (what a
   * record that extends or joins sessions does). False if `session` has expired; then nothing is written.
   */
  replace(merged: readonly Windowed<K>[], session: Windowed<K>, value: V): boolean {
    const { start, end } = session.window;
    if (end < this.minLiveTime()) return false;
    const keyBytes = this.keySerde.serialize(session.key);
    const gone = (s: StoredSession) =>
      (s.start === start && s.end === end) ||
      merged.some(({ window }) => window.start === s.start && window.end === s.end);
    const sessions = this.sessionsOf(keyBytes).filter((s) => !gone(s));
    sessions.push({ start, end, value: this.valueSerde.serialize(value) });
    sessions.sort((a, b) => a.start - b.start || a.end - b.end);
    this.inner.put(sessionEntryKey(keyBytes), encodeSessions(sessions));
    // A merged session ending in the same segment was indexed there, and that entry lives as long as it
    // does: writing it again would only add a changelog record per update.
    const segment = segmentOf(end, this.segmentIntervalMs);
    if (!merged.some(({ window }) => segmentOf(window.end, this.segmentIntervalMs) === segment))
      this.inner.put(sessionIndexKey(keyBytes, end, this.segmentIntervalMs), INDEX_VALUE);
    return true;
  }

  /** Removes the session with exactly this start and end, if present. */
  remove(session: Windowed<K>): void {
    const keyBytes = this.keySerde.serialize(session.key);
    const { start, end } = session.window;
    this.#write(
      keyBytes,
      this.sessionsOf(keyBytes).filter((s) => s.start !== start || s.end !== end),
    );
  }

  #write(keyBytes: Buffer, sessions: StoredSession[]): void {
    if (sessions.length === 0) this.inner.delete(sessionEntryKey(keyBytes));
    else this.inner.put(sessionEntryKey(keyBytes), encodeSessions(sessions));
  }

  /**
   * Drops the sessions that retention has expired. It reads only the index entries of expired segments
   * (sorted first), and the sessions of the keys they name. Returns the number of keys rewritten.
   */
  async expire(): Promise<number> {
    const streamTime = this.observedStreamTime;
    if (streamTime < 0) return 0;
    const firstLive = segmentOf(this.minLiveTime(streamTime), this.segmentIntervalMs);
    if (firstLive <= this.#expiredBelow) return 0;
    const index: Buffer[] = [];
    for await (const { key } of this.inner.range(
      Buffer.from([INDEX_PREFIX]),
      segmentBound(INDEX_PREFIX, firstLive),
    ))
      index.push(key);
    const keys = new Map<string, Buffer>();
    for (const entry of index) {
      const keyBytes = entry.subarray(9);
      keys.set(keyBytes.toString('latin1'), keyBytes);
      this.inner.delete(entry);
    }
    // sessionsOf drops the expired sessions as it reads.
    for (const keyBytes of keys.values()) this.#write(keyBytes, this.sessionsOf(keyBytes));
    this.#expiredBelow = firstLive;
    return keys.size;
  }
}
