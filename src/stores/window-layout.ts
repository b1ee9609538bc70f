/**
 * How window and session stores lay their entries out in an ordinary sorted key-value store of bytes, so
 * that every layer below (cache, changelog, LevelDB, restore, standby copies) serves them unchanged.
 *
 * - `0x00 <name>`: the store's metadata (its observed stream time).
 * - `0x01 <segment:8> <key length:4> <key> <window start:8>`: a window. Entries sort by segment first, so
 *   the windows that retention expires are one contiguous range at the front: expiry seeks to it and
 *   reads nothing else. The key length keeps one key's windows apart from a longer key's.
 * - session stores: `0x01 <key>` holds the key's sessions, one entry, so that merging reads them with one
 *   synchronous get; `0x02 <segment:8> <key>` is an index entry per segment in which the key has a session
 *   ending, which is what expiry reads.
 *
 * Times are epoch milliseconds >= 0, written as unsigned 64-bit big-endian so that bytes sort as numbers.
 */

/** A key of a windowed table: the record key and the window it was aggregated in, [start, end). */
export interface Windowed<K> {
  readonly key: K;
  readonly window: TimeWindow;
}

/** A window of event time: from `start` (inclusive) to `end` (exclusive; for a session, its last record). */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export const STREAM_TIME_KEY = Buffer.from('\x00stream-time', 'latin1');
export const DATA_PREFIX = 0x01;
export const INDEX_PREFIX = 0x02;
/** Present as the value of a session index entry: some clients read an empty value as a tombstone. */
export const INDEX_VALUE = Buffer.from([1]);

/**
 * Kafka Streams' default: retention split in two segments' worth, and at least a minute, so that expiry
 * drops at most half the retained data at a time and never runs more than once a minute of stream time.
 */
export function segmentIntervalFor(retentionMs: number): number {
  return Math.max(60_000, Math.floor(retentionMs / 2));
}

export function segmentOf(time: number, segmentInterval: number): number {
  return Math.floor(Math.max(0, time) / segmentInterval);
}

const TWO_TO_32 = 2 ** 32;

// As two 32-bit halves rather than through BigInt, which is several times slower on this hot path; the
// bytes are the same for every safe integer.
export function writeTime(target: Buffer, offset: number, time: number): void {
  const t = Math.max(0, Math.trunc(time));
  target.writeUInt32BE(Math.floor(t / TWO_TO_32), offset);
  target.writeUInt32BE(t % TWO_TO_32, offset + 4);
}

export function readTime(source: Buffer, offset: number): number {
  return source.readUInt32BE(offset) * TWO_TO_32 + source.readUInt32BE(offset + 4);
}

export function encodeTime(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  writeTime(bytes, 0, time);
  return bytes;
}

/** The first byte of a prefix and a segment: the bound below which every entry is in an earlier segment. */
export function segmentBound(prefix: number, segment: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes[0] = prefix;
  writeTime(bytes, 1, segment);
  return bytes;
}

export function windowEntryKey(key: Buffer, start: number, segmentInterval: number): Buffer {
  const bytes = Buffer.allocUnsafe(1 + 8 + 4 + key.length + 8);
  bytes[0] = DATA_PREFIX;
  writeTime(bytes, 1, segmentOf(start, segmentInterval));
  bytes.writeUInt32BE(key.length, 9);
  key.copy(bytes, 13);
  writeTime(bytes, 13 + key.length, start);
  return bytes;
}

/** The record key and window start of a window entry; undefined for any other entry. */
export function readWindowEntryKey(bytes: Buffer): { key: Buffer; start: number } | undefined {
  if (bytes.length < 21 || bytes[0] !== DATA_PREFIX) return undefined;
  const length = bytes.readUInt32BE(9);
  if (bytes.length !== 21 + length) return undefined;
  return { key: bytes.subarray(13, 13 + length), start: readTime(bytes, 13 + length) };
}

export function sessionEntryKey(key: Buffer): Buffer {
  return Buffer.concat([Buffer.from([DATA_PREFIX]), key]);
}

export function sessionIndexKey(key: Buffer, end: number, segmentInterval: number): Buffer {
  return Buffer.concat([segmentBound(INDEX_PREFIX, segmentOf(end, segmentInterval)), key]);
}

/** One session of a key: its window and its aggregate, serialized. */
export interface StoredSession {
  readonly start: number;
  readonly end: number;
  readonly value: Buffer;
}

/** A key's sessions, sorted by start: `<count:4>` then `<start:8> <end:8> <length:4> <value>` each. */
export function encodeSessions(sessions: readonly StoredSession[]): Buffer {
  let size = 4;
  for (const session of sessions) size += 20 + session.value.length;
  const bytes = Buffer.allocUnsafe(size);
  bytes.writeUInt32BE(sessions.length, 0);
  let at = 4;
  for (const { start, end, value } of sessions) {
    writeTime(bytes, at, start);
    writeTime(bytes, at + 8, end);
    bytes.writeUInt32BE(value.length, at + 16);
    value.copy(bytes, at + 20);
    at += 20 + value.length;
  }
  return bytes;
}

export function decodeSessions(bytes: Buffer | undefined): StoredSession[] {
  if (bytes === undefined) return [];
  const count = bytes.readUInt32BE(0);
  const sessions: StoredSession[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const length = bytes.readUInt32BE(at + 16);
    sessions.push({
      start: readTime(bytes, at),
      end: readTime(bytes, at + 8),
      value: bytes.subarray(at + 20, at + 20 + length),
    });
    at += 20 + length;
  }
  return sessions;
}
