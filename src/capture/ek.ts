/**
 * Reads tshark's Elasticsearch ("EK") lines into canonical `pcap` records. Every shape a capture pipeline may
 * already produce is accepted, line by line:
 * - raw `tshark -T ek -e …`: an index line `{"index":{…}}`, then `{"timestamp":"…","layers":{"wlan_sa":[…]}}`;
 * - raw `tshark -T ek` without `-e`: one object per protocol in `layers` (`layers.wlan.wlan_wlan_sa`, …);
 * - the original pipeline's `jq -c '{timestamp: .timestamp} + .layers'`: flat records, and `{"timestamp":null}`
 *   where tshark wrote an index line; the same jq over output without `-e` puts the protocol objects at the
 *   top (`{"timestamp":…,"frame":{…},"wlan":{…},…}`), read like the raw full output;
 * from tshark 3.6 and newer (hex subtype, SSID bytes in hex, `<MISSING>`) or older (decimal subtype, SSID text).
 */
import type { Readable } from 'node:stream';
import { decodeSsidBytes, frameSubtype, type PcapValue } from '../probes/pcap.js';
import { CaptureError } from './errors.js';

/** The fields `probestream capture` asks tshark for (`-e`), in EK_FIELDS order. */
export const TSHARK_FIELDS = [
  'wlan.fc.type_subtype',
  'wlan_radio.signal_dbm',
  'wlan.sa',
  'wlan.da',
  'wlan.bssid',
  'wlan.ssid',
] as const;

/** The canonical fields, in the order a canonical record lists them (unknown fields follow). */
export const EK_FIELDS = [
  'wlan_fc_type_subtype',
  'wlan_radio_signal_dbm',
  'wlan_sa',
  'wlan_da',
  'wlan_bssid',
  'wlan_ssid',
] as const;

export interface EkReadOptions {
  /** Names the input in messages, e.g. a file path. Defaults to `EK input`. */
  readonly source?: string;
  /** Throw CaptureError('CAPTURE_INVALID_EK_LINE') at the first invalid line instead of counting it. Defaults to false. */
  readonly strict?: boolean;
  /** The longest line read, in bytes; a longer line is invalid. At least 1024. Defaults to 8 MiB. */
  readonly maxLineBytes?: number;
  /** How many invalid lines `stats.invalidLines` keeps (the first ones). Defaults to 10. */
  readonly maxInvalidReasons?: number;
  /** Called for every invalid line, as it is read (the stats keep only the first few). */
  readonly onInvalidLine?: (invalid: EkInvalidLine) => void;
}

export interface EkInvalidLine {
  /** One-based line number. */
  readonly line: number;
  readonly reason: string;
}

export interface EkReadStats {
  /** Lines read, blank ones included. */
  readonly lines: number;
  /** Records yielded. */
  readonly frames: number;
  /** tshark's index lines and the original pipeline's `{"timestamp":null}` lines. */
  readonly skipped: number;
  readonly blank: number;
  readonly invalid: number;
  /** The first invalid lines and why each could not be read. */
  readonly invalidLines: readonly EkInvalidLine[];
}

/** An async iterable of canonical `pcap` records that counts what it read. Iterate it once. */
export interface EkReader extends AsyncIterable<PcapValue> {
  /** A snapshot of the counts so far; final once iteration has ended. */
  readonly stats: EkReadStats;
}

/** What one non-blank EK line is. */
export type EkLine =
  | { readonly kind: 'frame'; readonly value: PcapValue }
  | { readonly kind: 'skip'; readonly reason: 'index line' | 'null timestamp' }
  | { readonly kind: 'invalid'; readonly reason: string };

const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads EK lines from `input` (a file stream, stdin, tshark's stdout) as canonical `pcap` records. Memory is
 * bounded by the longest line, at most `maxLineBytes`. Breaking out of the loop destroys a Readable input.
 */
export function readEkLines(
  input: Readable | AsyncIterable<Uint8Array | string>,
  options: EkReadOptions = {},
): EkReader {
  const settings = validateOptions(options);
  const counts = { lines: 0, frames: 0, skipped: 0, blank: 0, invalid: 0 };
  const invalidLines: EkInvalidLine[] = [];
  let started = false;

  const invalid = (line: number, reason: string): void => {
    counts.invalid += 1;
    const entry = { line, reason };
    if (invalidLines.length < settings.maxInvalidReasons) invalidLines.push(entry);
    settings.onInvalidLine?.(entry);
    if (settings.strict) {
      throw new CaptureError('CAPTURE_INVALID_EK_LINE', `${settings.source} line ${line}: ${reason}`);
    }
  };

  async function* records(): AsyncGenerator<PcapValue> {
    for await (const line of splitLines(input, settings.maxLineBytes)) {
      counts.lines += 1;
      if (line.text === undefined) {
        invalid(counts.lines, `the line is longer than ${settings.maxLineBytes} bytes`);
        continue;
      }
      // A UTF-8 byte order mark (some editors add one) would otherwise make the first line invalid JSON.
      const text = counts.lines === 1 ? line.text.replace(/^\uFEFF/, '') : line.text;
      if (text.trim() === '') {
        counts.blank += 1;
        continue;
      }
      const parsed = parseEkLine(text);
      if (parsed.kind === 'frame') {
        counts.frames += 1;
        yield parsed.value;
      } else if (parsed.kind === 'skip') {
        counts.skipped += 1;
      } else {
        invalid(counts.lines, parsed.reason);
      }
    }
  }

  return {
    get stats(): EkReadStats {
      return { ...counts, invalidLines: [...invalidLines] };
    },
    [Symbol.asyncIterator](): AsyncIterator<PcapValue> {
      if (started) throw new TypeError(`${settings.source} is already being read: an EkReader is read once`);
      started = true;
      return records();
    },
  };
}

/** Reads one non-blank EK line in any of the accepted shapes. */
export function parseEkLine(text: string): EkLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON (${(error as Error).message})` };
  }
  if (!isObject(json)) return { kind: 'invalid', reason: 'not a JSON object' };
  if (isObject(json.index) && !('layers' in json) && !('timestamp' in json)) {
    return { kind: 'skip', reason: 'index line' };
  }
  // The original pipeline's rendering of an index line: `{timestamp: null} + null`.
  if (json.timestamp === null && Object.keys(json).length === 1)
    return { kind: 'skip', reason: 'null timestamp' };

  if ('layers' in json) {
    const layers = json.layers;
    if (!isObject(layers)) return { kind: 'invalid', reason: '"layers" is not a JSON object' };
    return isNestedLayers(layers)
      ? fromNestedLayers(json.timestamp, layers)
      : canonicalRecord({ timestamp: json.timestamp, ...layers });
  }
  // Full output through the original jq: the protocol objects beside the timestamp.
  const { timestamp, ...rest } = json;
  return isNestedLayers(rest) ? fromNestedLayers(timestamp, rest) : canonicalRecord(json);
}

/** The `-e` options that make tshark write the fields this reader needs. */
const TSHARK_FIELD_OPTIONS = TSHARK_FIELDS.map((field) => `-e ${field}`).join(' ');

/**
 * A frame of full EK output. One without an 802.11 header (another link type, or a dissection this reader
 * does not know) is refused with the `-e` fields to ask for: its record would say nothing a probe counts.
 */
function fromNestedLayers(timestamp: unknown, layers: Record<string, unknown>): EkLine {
  const fields = fieldsFromNestedLayers(layers);
  if (fields.wlan_fc_type_subtype === undefined) {
    return {
      kind: 'invalid',
      reason: `full EK output without an 802.11 layer (no wlan_wlan_fc_type_subtype in ${Object.keys(layers).join(', ') || 'no protocol'}): capture 802.11 frames, or run tshark -T ek ${TSHARK_FIELD_OPTIONS}`,
    };
  }
  return canonicalRecord({ timestamp, ...fields });
}

/**
 * The canonical form of a flat record: `timestamp` as an epoch-ms string, the subtype in decimal, the SSID as
 * text (`""` for a wildcard), every known field an array of strings, in EK_FIELDS order; unknown fields after.
 */
export function canonicalRecord(flat: Record<string, unknown>): EkLine {
  const timestamp = epochMillis(flat.timestamp);
  if (timestamp === undefined) {
    return {
      kind: 'invalid',
      reason: `timestamp ${JSON.stringify(flat.timestamp ?? null)} is not epoch milliseconds`,
    };
  }
  const record: Record<string, unknown> = { timestamp };
  const subtype = frameSubtype(flat as PcapValue);
  for (const field of EK_FIELDS) {
    const value = flat[field];
    if (value === undefined) continue;
    if (field === 'wlan_fc_type_subtype' && subtype !== undefined) {
      record[field] = [String(subtype)];
    } else if (field === 'wlan_ssid') {
      record[field] = stringArray(value).map((ssid) => ssidText(flat.wlan_fc_type_subtype, ssid));
    } else {
      record[field] = stringArray(value);
    }
  }
  for (const [field, value] of Object.entries(flat)) {
    if (!(field in record) && !(EK_FIELDS as readonly string[]).includes(field)) record[field] = value;
  }
  return { kind: 'frame', value: record as PcapValue };
}

/**
 * One SSID as text, decoded by pcap.ts's rules (as frameSsid, and the native reader) so that every reader
 * agrees. tshark 3.6+ writes the bytes as `524e4d30` with `-e`, and as `52:4e:4d:30` (`""` when zero-length)
 * in its full EK output; older tshark wrote text, which may itself look like `de:ad`. An SSID of more than
 * 32 bytes is decoded too, not refused: the topology sends its record to the DLQ with the reason.
 */
function ssidText(subtype: unknown, ssid: string): string {
  const first = Array.isArray(subtype) ? subtype[0] : subtype;
  if (!(typeof first === 'string' && /^\s*0x/i.test(first))) return ssid;
  if (ssid === '<MISSING>' || ssid === '') return '';
  const hex = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(ssid) ? ssid.replaceAll(':', '') : ssid;
  return /^([0-9a-f]{2})+$/i.test(hex) ? decodeSsidBytes(Buffer.from(hex, 'hex')) : hex;
}

/** Where tshark's full EK output (no `-e`) keeps each canonical field: `<protocol>_<field>` in a protocol object. */
const NESTED_KEYS: Readonly<Record<(typeof EK_FIELDS)[number], readonly string[]>> = {
  wlan_fc_type_subtype: ['wlan_wlan_fc_type_subtype', 'wlan_fc_type_subtype'],
  wlan_radio_signal_dbm: ['wlan_radio_wlan_radio_signal_dbm', 'wlan_radio_signal_dbm'],
  wlan_sa: ['wlan_wlan_sa', 'wlan_sa'],
  wlan_da: ['wlan_wlan_da', 'wlan_da'],
  wlan_bssid: ['wlan_wlan_bssid', 'wlan_bssid'],
  wlan_ssid: ['wlan_wlan_ssid', 'wlan_ssid'],
};

/**
 * Full EK output has one object per protocol in `layers`; `-e` output has arrays of strings. A record with
 * a canonical field is `-e` output, whatever else it carries (another producer's object field, say).
 */
function isNestedLayers(layers: Record<string, unknown>): boolean {
  if (EK_FIELDS.some((field) => field in layers)) return false;
  return Object.values(layers).some(
    (layer) => isObject(layer) || (Array.isArray(layer) && layer.some(isObject)),
  );
}

/**
 * The canonical fields found in full EK output's protocol objects, first occurrence wins (in layer order, so
 * the outer 802.11 header before any encapsulated one). The rest of the dissection (kilobytes per frame) is
 * not kept: the `pcap` contract is the flat field list.
 */
function fieldsFromNestedLayers(layers: Record<string, unknown>): Record<string, unknown> {
  const protocols = Object.values(layers).flatMap((layer) =>
    Array.isArray(layer) ? layer.filter(isObject) : isObject(layer) ? [layer] : [],
  );
  const fields: Record<string, unknown> = {};
  for (const field of EK_FIELDS) {
    for (const protocol of protocols) {
      const key = NESTED_KEYS[field].find((candidate) => protocol[candidate] !== undefined);
      if (key !== undefined) {
        fields[field] = protocol[key];
        break;
      }
    }
  }
  return fields;
}

function epochMillis(raw: unknown): string | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : undefined;
  return typeof raw === 'string' && /^\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? raw : undefined;
}

/** tshark writes arrays of strings; other producers may send a bare value or numbers. */
function stringArray(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.map((item) =>
    typeof item === 'string'
      ? item
      : item === null
        ? ''
        : // JSON text for objects: String() throws on one whose toString is not a function.
          typeof item === 'object'
          ? JSON.stringify(item)
          : String(item),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A line's text, or undefined when it was longer than the limit (its bytes were dropped as they came). */
interface Line {
  readonly text: string | undefined;
}

/**
 * Splits a byte stream on `\n` (a trailing `\r` is dropped), decoding each line as UTF-8 only once it is
 * whole, so a character split across chunks is never mangled. A line over `maxBytes` is not buffered.
 */
async function* splitLines(
  input: AsyncIterable<Uint8Array | string>,
  maxBytes: number,
): AsyncGenerator<Line> {
  let pieces: Buffer[] = [];
  let pending = 0;
  let overlong = false;
  const finish = (): Line => {
    let text: string | undefined;
    if (!overlong) {
      const bytes = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, pending);
      const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
      text = bytes.toString('utf8', 0, end);
    }
    pieces = [];
    pending = 0;
    overlong = false;
    return { text };
  };
  const append = (piece: Buffer): void => {
    if (overlong || piece.length === 0) return;
    if (pending + piece.length > maxBytes) {
      overlong = true;
      pieces = [];
      pending = 0;
      return;
    }
    pieces.push(piece);
    pending += piece.length;
  };

  for await (const chunk of input) {
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let newline = buffer.indexOf(NEWLINE, start);
    while (newline !== -1) {
      append(buffer.subarray(start, newline));
      yield finish();
      start = newline + 1;
      newline = buffer.indexOf(NEWLINE, start);
    }
    // Copied: the chunk's memory may be reused by the stream once the loop moves on.
    if (start < buffer.length) append(Buffer.from(buffer.subarray(start)));
  }
  if (pending > 0 || overlong) yield finish();
}

interface Settings {
  readonly source: string;
  readonly strict: boolean;
  readonly maxLineBytes: number;
  readonly maxInvalidReasons: number;
  readonly onInvalidLine: ((invalid: EkInvalidLine) => void) | undefined;
}

function validateOptions(options: EkReadOptions): Settings {
  const { maxLineBytes = DEFAULT_MAX_LINE_BYTES, maxInvalidReasons = 10 } = options;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1024) {
    throw new TypeError(`maxLineBytes must be an integer of at least 1024, got ${maxLineBytes}`);
  }
  if (!Number.isSafeInteger(maxInvalidReasons) || maxInvalidReasons < 0) {
    throw new TypeError(`maxInvalidReasons must be a non-negative integer, got ${maxInvalidReasons}`);
  }
  return Object.freeze({
    source: options.source ?? 'EK input',
    strict: options.strict ?? false,
    maxLineBytes,
    maxInvalidReasons,
    onInvalidLine: options.onInvalidLine,
  });
}
