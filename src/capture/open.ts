import { createReadStream } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import type { PcapValue } from '../probes/pcap.js';
import { type EkReader, readEkLines } from './ek.js';
import { CaptureError } from './errors.js';
import { type CaptureFileReader, detectCaptureFormat, readCaptureFile } from './pcap-file.js';

export type CaptureSourceFormat = 'pcap' | 'pcapng' | 'ek';

/** What a pass over a capture source read, beside its records. */
export interface CaptureSourceSummary {
  readonly format: CaptureSourceFormat;
  /** Frames the file held that could not become records (pcap: malformed frames; EK: invalid lines). */
  readonly unreadable: number;
  /** Why, for the first few. */
  readonly reasons: readonly string[];
}

/** A capture file (or stdin) that can be read once per pass. */
export interface CaptureSource {
  readonly path: string;
  readonly format: CaptureSourceFormat;
  /** Whether `open` may be called again (files yes, stdin no). */
  readonly repeatable: boolean;
  /** Starts a pass. */
  open(): AsyncIterable<PcapValue>;
  /** How far the current pass is through the input, 0 to 1, when that is known. */
  fraction(): number | undefined;
  /** The current (or last) pass's counts. */
  summary(): CaptureSourceSummary;
}

const SNIFF_BYTES = 64;

/**
 * Opens a capture by its content, not its name: pcap or pcapng by magic number, tshark EK lines (JSONL) when
 * the first non-blank byte is `{`. `-` reads EK lines from stdin. Anything else fails with
 * CAPTURE_UNREADABLE_FILE before a single record is produced.
 */
export async function openCaptureFile(path: string): Promise<CaptureSource> {
  if (path === '-') return ekSource('-', () => process.stdin, undefined, false);
  let head: Buffer;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
    const handle = await openFile(path, 'r');
    try {
      head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new CaptureError('CAPTURE_UNREADABLE_FILE', `cannot read ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const format = detectCaptureFormat(head);
  if (format !== undefined) {
    let reader: CaptureFileReader | undefined;
    return {
      path,
      format,
      repeatable: true,
      open: () => {
        reader = readCaptureFile(path);
        return reader;
      },
      fraction: () => (reader && size > 0 ? reader.stats.bytesRead / size : undefined),
      summary: () => {
        const skipped: Record<string, number> = reader?.stats.skipped ?? {};
        return {
          format,
          unreadable: reader?.stats.framesSkipped ?? 0,
          reasons: Object.entries(skipped)
            .filter(([, n]) => n > 0)
            .map(([reason, n]) => `${n} frames skipped: ${reason}`),
        };
      },
    };
  }
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{')) {
    return ekSource(path, () => createReadStream(path), size, true);
  }
  if (size === 0) throw new CaptureError('CAPTURE_UNREADABLE_FILE', `${path} is empty`);
  throw new CaptureError(
    'CAPTURE_UNREADABLE_FILE',
    `${path} is not a pcap, pcapng or tshark EK-lines (JSONL) file: it starts with bytes ${head.subarray(0, 8).toString('hex')}`,
  );
}

function ekSource(
  path: string,
  input: () => NodeJS.ReadableStream & { bytesRead?: number },
  size: number | undefined,
  repeatable: boolean,
): CaptureSource {
  let reader: EkReader | undefined;
  let stream: (NodeJS.ReadableStream & { bytesRead?: number }) | undefined;
  return {
    path,
    format: 'ek',
    repeatable,
    open: () => {
      stream = input();
      reader = readEkLines(stream as import('node:stream').Readable, { source: path });
      return reader;
    },
    fraction: () =>
      size && stream?.bytesRead !== undefined ? Math.min(1, stream.bytesRead / size) : undefined,
    summary: () => ({
      format: 'ek',
      unreadable: reader?.stats.invalid ?? 0,
      reasons: (reader?.stats.invalidLines ?? []).map((l) => `line ${l.line}: ${l.reason}`),
    }),
  };
}
