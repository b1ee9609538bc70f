/**
 * Reads .pcap and .pcapng capture files into `pcap` records, without Wireshark. The file is read in chunks
 * into one buffer that grows only to the largest frame, so memory stays bounded whatever the file's size;
 * each chunk's frames are parsed synchronously and handed on together.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { PcapValue } from '../probes/pcap.js';
import { type ContainerParser, PcapngParser, PcapParser } from './capture-parsers.js';
import { CaptureError } from './errors.js';
import { type FrameSkipReason, frameSkipReasons } from './ieee80211.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** The capture format announced by a file's first bytes (at least 4), or undefined for anything else. */
export function detectCaptureFormat(firstBytes: Uint8Array): CaptureFormat | undefined {
  if (firstBytes.length < 4) return undefined;
  const magic = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, 4).readUInt32BE(0);
  switch (magic) {
    case 0xa1b2c3d4:
    case 0xd4c3b2a1:
    case 0xa1b23c4d:
    case 0x4d3cb2a1:
      return 'pcap';
    case 0x0a0d0d0a:
      return 'pcapng';
    default:
      return undefined;
  }
}

export const captureSkipReasons = [
  ...frameSkipReasons,
  /** A pcapng Simple Packet Block: it carries no timestamp, and a record without event time is no use. */
  'no-timestamp',
] as const;

/** Why a frame in a capture file gave no record. */
export type CaptureSkipReason = FrameSkipReason | 'no-timestamp';

export interface CaptureReadStats {
  /** The file's format, once its first bytes are read. */
  readonly format: CaptureFormat | undefined;
  /** Frames read into records. */
  readonly framesRead: number;
  /** Frames that gave no record; `skipped` says why. */
  readonly framesSkipped: number;
  readonly skipped: Readonly<Record<CaptureSkipReason, number>>;
  /** Bytes read from the file so far. */
  readonly bytesRead: number;
}

/** The counters, as the parsers update them. */
export type MutableCaptureReadStats = { -readonly [K in keyof CaptureReadStats]: CaptureReadStats[K] } & {
  skipped: Record<CaptureSkipReason, number>;
};

export interface CaptureReadOptions {
  /** Stops the read: the iteration throws the signal's reason and the file is closed. */
  readonly signal?: AbortSignal;
  /**
   * Bytes read from the file at a time, 1 to 64 MiB; defaults to 256 KiB. Small values are for tests: the
   * buffer grows to hold the largest frame whatever this is.
   */
  readonly chunkSize?: number;
}

/**
 * A capture file's records, in file order. Iterating reads the file afresh (and resets `stats`); the file is
 * closed when the iteration ends, fails or is left early. Errors are CaptureErrors: CAPTURE_UNREADABLE_FILE,
 * CAPTURE_UNSUPPORTED_LINKTYPE, or CAPTURE_TRUNCATED, thrown after every complete frame before it was given.
 */
export interface CaptureFileReader extends AsyncIterable<PcapValue> {
  readonly path: string;
  /** A snapshot of the counts of the current (or last) iteration; final once it has ended. */
  readonly stats: CaptureReadStats;
  /** The same records, in arrays of one chunk's frames: for a consumer that would rather take many at once. */
  batches(): AsyncIterableIterator<readonly PcapValue[]>;
}

const DEFAULT_CHUNK_SIZE = 256 << 10;
const MAX_CHUNK_SIZE = 64 << 20;

/** Reads a .pcap or .pcapng file (the format is told by its magic number, not its name). */
export function readCaptureFile(path: string, options: CaptureReadOptions = {}): CaptureFileReader {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new TypeError(`chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
  let stats = emptyStats();
  const batches = () => {
    stats = emptyStats();
    return readBatches(path, chunkSize, options.signal, stats);
  };
  return {
    path,
    get stats(): CaptureReadStats {
      return { ...stats, skipped: { ...stats.skipped } };
    },
    batches,
    [Symbol.asyncIterator](): AsyncIterator<PcapValue> {
      const source = batches();
      let batch: readonly PcapValue[] = [];
      let i = 0;
      return {
        async next(): Promise<IteratorResult<PcapValue>> {
          while (i >= batch.length) {
            const result = await source.next();
            if (result.done) return { done: true, value: undefined };
            batch = result.value;
            i = 0;
          }
          return { done: false, value: batch[i++] as PcapValue };
        },
        async return(): Promise<IteratorResult<PcapValue>> {
          await source.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function emptyStats(): MutableCaptureReadStats {
  const skipped = Object.fromEntries(captureSkipReasons.map((reason) => [reason, 0]));
  return {
    format: undefined,
    framesRead: 0,
    framesSkipped: 0,
    skipped: skipped as Record<CaptureSkipReason, number>,
    bytesRead: 0,
  };
}

function unreadable(path: string, cause: unknown): CaptureError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CaptureError('CAPTURE_UNREADABLE_FILE', `cannot read ${path}: ${reason}`, { cause });
}

/** The file open for reading, and its size; CAPTURE_UNREADABLE_FILE when either fails. */
async function openCapture(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw unreadable(path, cause);
  }
  try {
    return { handle, size: (await handle.stat()).size };
  } catch (cause) {
    await handle.close();
    throw unreadable(path, cause);
  }
}

async function* readBatches(
  path: string,
  chunkSize: number,
  signal: AbortSignal | undefined,
  stats: MutableCaptureReadStats,
): AsyncGenerator<PcapValue[], void, undefined> {
  signal?.throwIfAborted();
  const { handle, size } = await openCapture(path);
  try {
    let buffer = Buffer.allocUnsafe(Math.max(chunkSize, 4));
    let start = 0;
    let end = 0;
    let filePosition = 0;
    let eof = false;
    let parser: ContainerParser | undefined;
    for (;;) {
      signal?.throwIfAborted();
      if (!eof && end < buffer.length) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, end, buffer.length - end, filePosition));
        } catch (cause) {
          throw unreadable(path, cause);
        }
        if (bytesRead === 0) eof = true;
        end += bytesRead;
        filePosition += bytesRead;
        stats.bytesRead += bytesRead;
      }
      if (parser === undefined) {
        if (end < 4 && !eof) continue;
        const format = detectCaptureFormat(buffer.subarray(0, end));
        if (format === undefined) {
          throw new CaptureError('CAPTURE_UNREADABLE_FILE', `${path} is not a pcap or pcapng capture file`);
        }
        stats.format = format;
        parser = format === 'pcap' ? new PcapParser(stats) : new PcapngParser(stats);
      }
      const batch: PcapValue[] = [];
      start = parser.parse(buffer, start, end, batch);
      if (batch.length > 0) yield batch;
      if (parser.error !== undefined) {
        const offset = filePosition - end + start;
        throw new CaptureError(parser.error.code, `${path} at byte ${offset}: ${parser.error.message}`);
      }
      if (parser.skip > 0) {
        // A block of no interest that is not all in the buffer: jump over the rest of it in the file.
        filePosition += parser.skip - (end - start);
        parser.skip = 0;
        start = end = 0;
        if (filePosition > size) {
          throw new CaptureError('CAPTURE_TRUNCATED', `${path} ends in the middle of a block`);
        }
        continue;
      }
      if (start > 0) {
        buffer.copyWithin(0, start, end);
        end -= start;
        start = 0;
      }
      if (parser.need > buffer.length) {
        const bigger = Buffer.allocUnsafe(parser.need);
        buffer.copy(bigger, 0, 0, end);
        buffer = bigger;
      }
      if (eof) {
        if (end === 0) return;
        throw new CaptureError(
          'CAPTURE_TRUNCATED',
          `${path} ends in the middle of a ${stats.format === 'pcap' ? 'record' : 'block'} at byte ${filePosition - end}`,
        );
      }
    }
  } finally {
    await handle.close();
  }
}
