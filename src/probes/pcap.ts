import { isUtf8 } from 'node:buffer';

/**
 * The `pcap` topic's contract: one record per captured 802.11 frame, as the flat JSON that
 * `tshark -T ek -e … | jq -c '{timestamp: .timestamp} + .layers'` writes. Every field is an array of
 * strings as tshark writes them; other producers may send numbers or bare values. Field [0] is the one that
 * counts. Unknown fields are kept.
 *
 * tshark's versions disagree on two fields, and both shapes are read here:
 * - `wlan_fc_type_subtype`: `"4"` (tshark 3.4 and older) or `"0x0004"` (3.6 and newer).
 * - `wlan_ssid`: the text (older) or the SSID's bytes in hex, with `"<MISSING>"` for a zero-length SSID
 *   (newer). The hex form comes with the hex subtype, which is how the two are told apart.
 * probestream's own readers write the canonical form: a decimal subtype and the SSID as text.
 */

/** A `pcap` record's value. */
export interface PcapValue {
  readonly timestamp?: string | number | null;
  readonly wlan_fc_type_subtype?: readonly (string | number)[] | string | number;
  readonly wlan_radio_signal_dbm?: readonly (string | number)[] | string | number;
  readonly wlan_sa?: readonly string[] | string;
  readonly wlan_da?: readonly string[] | string;
  readonly wlan_bssid?: readonly string[] | string;
  readonly wlan_ssid?: readonly string[] | string;
  readonly [field: string]: unknown;
}

/** The frame type/subtype of a probe request (management type 0, subtype 4). */
export const PROBE_REQUEST_SUBTYPE = 4;

/** A probe request, read from a `pcap` record. */
export interface ProbeRequest {
  /** Event time, epoch milliseconds. */
  readonly timestamp: number;
  /** Source MAC, lower-case, colon-separated. */
  readonly mac: string;
  /** The SSID probed for: `""` for a wildcard probe, null when the frame carries no SSID element. */
  readonly ssid: string | null;
  readonly signalDbm: number | null;
}

/** Why a `pcap` record cannot be read; the DLQ header carries the message. */
export class PcapRecordError extends Error {
  override readonly name = 'PcapRecordError';
}

const MAC =
  /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;

/** A MAC already as normalizeMac writes it, as tshark writes `wlan_sa`. */
const CANONICAL_MAC = /^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/;

/** A MAC in either case, with `:`, `-` or no separators, as lower-case `aa:bb:cc:dd:ee:ff`; else undefined. */
export function normalizeMac(text: string): string | undefined {
  // Nearly every record's MAC is written so already: no groups to take apart and join again.
  if (CANONICAL_MAC.test(text)) return text;
  const match = MAC.exec(text.trim());
  return match ? match.slice(1, 7).join(':').toLowerCase() : undefined;
}

/** Field [0] of a tshark field, which other producers may send as a bare value. */
function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/** The frame's type/subtype as a number (4 for a probe request), from `"4"`, `"0x0004"` or 4. */
export function frameSubtype(value: PcapValue): number | undefined {
  const raw = first(value.wlan_fc_type_subtype);
  if (typeof raw === 'number') return Number.isInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

/** Whether the subtype was written the way tshark 3.6+ writes it, the sign of hex-encoded SSIDs. */
function hexEra(value: PcapValue): boolean {
  const raw = first(value.wlan_fc_type_subtype);
  return typeof raw === 'string' && /^0x/i.test(raw.trim());
}

/**
 * Bytes as text when they are valid UTF-8, else undefined: what a fatal TextDecoder answers (a leading
 * byte-order mark dropped), without its exception for invalid bytes and at a fraction of its cost.
 */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bom = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  return buffer.toString('utf8', bom ? 3 : 0);
}

/**
 * An SSID's bytes as text: UTF-8 when they are valid UTF-8; otherwise each byte that is not part of a valid
 * sequence written `\xNN`, so that such an SSID can still be counted and shown. (A valid SSID that holds
 * the text `\xNN` itself reads the same: broadcasting that on purpose gains nothing.)
 */
export function decodeSsidBytes(bytes: Uint8Array): string {
  const valid = strictUtf8(bytes);
  if (valid !== undefined) return valid;
  let text = '';
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      text += `\\x${(bytes[i] as number).toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      text += Buffer.from(bytes.subarray(i, i + length)).toString('utf8');
      i += length;
    }
  }
  return text;
}

/** The length of the valid UTF-8 sequence starting at `i`, or 0 when there is none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const length =
    b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  return isUtf8(bytes.subarray(i, i + length)) ? length : 0;
}

/** IEEE 802.11's limit: an SSID element holds 0 to 32 bytes. */
export const MAX_SSID_BYTES = 32;

/**
 * The SSID as text: `""` for a wildcard probe, null when absent. Hex-decoded for tshark 3.6+ records.
 * Throws PcapRecordError for one longer than 32 bytes: no 802.11 frame carries it, so the record was not
 * made from one, and such a value would only swell the stats, the alerts and the repartition keys.
 */
export function frameSsid(value: PcapValue): string | null {
  const raw = first(value.wlan_ssid);
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new PcapRecordError(`wlan_ssid ${JSON.stringify(value.wlan_ssid)} is not text`);
  }
  const text = String(raw);
  if (!hexEra(value)) return checkedSsid(text, Buffer.byteLength(text));
  if (text === '<MISSING>' || text === '') return '';
  if (/^([0-9a-f]{2})+$/i.test(text)) {
    return checkedSsid(decodeSsidBytes(Buffer.from(text, 'hex')), text.length / 2);
  }
  return checkedSsid(text, Buffer.byteLength(text));
}

function checkedSsid(ssid: string, bytes: number): string {
  if (bytes > MAX_SSID_BYTES) {
    throw new PcapRecordError(
      `wlan_ssid is ${bytes} bytes long; an 802.11 SSID has at most ${MAX_SSID_BYTES}`,
    );
  }
  return ssid;
}

/** Event time in epoch ms from the `timestamp` field; throws PcapRecordError when it is not one. */
export function frameTimestamp(value: PcapValue): number {
  const raw = value.timestamp;
  const ms =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new PcapRecordError(`timestamp ${JSON.stringify(raw)} is not epoch milliseconds`);
  }
  return ms;
}

function optionalNumber(value: unknown): number | null {
  const raw = first(value);
  // Optional: anything but a number or its text (an object, say, which Number() may even throw on) is none.
  if (typeof raw !== 'number' && typeof raw !== 'string') return null;
  if (raw === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** Any 802.11 frame of `pcap`: its type/subtype, its event time, and the probe request it is, if one. */
export interface PcapFrame {
  /** Type and subtype as tshark numbers them (type × 16 + subtype): 4 for a probe request. */
  readonly subtype: number;
  /** Event time in epoch ms; null when a frame other than a probe request has none that can be read. */
  readonly timestamp: number | null;
  readonly probe: ProbeRequest | null;
}

/**
 * Reads a `pcap` value: any frame, or undefined for the original pipeline's `{"timestamp":null}` index lines
 * (not frames, not errors). Throws PcapRecordError for a record that cannot be read: not an object, no
 * type/subtype, or a probe request without an event time, without a valid source MAC, or with an SSID
 * longer than 32 bytes. Frames of other types are read no further than their type and time.
 */
export function readFrame(value: unknown): PcapFrame | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PcapRecordError('the value is not a JSON object');
  }
  const frame = value as PcapValue;
  if (frame.timestamp === null && Object.keys(frame).length === 1) return undefined;
  const subtype = frameSubtype(frame);
  if (subtype === undefined) {
    throw new PcapRecordError(
      `wlan_fc_type_subtype ${JSON.stringify(frame.wlan_fc_type_subtype ?? null)} is not a frame type/subtype`,
    );
  }
  if (subtype !== PROBE_REQUEST_SUBTYPE) {
    let timestamp: number | null = null;
    try {
      timestamp = frameTimestamp(frame);
    } catch {
      // Only probe requests must carry their time: another frame is counted at its record's time.
    }
    return { subtype, timestamp, probe: null };
  }
  const timestamp = frameTimestamp(frame);
  const sa = first(frame.wlan_sa);
  const mac = typeof sa === 'string' ? normalizeMac(sa) : undefined;
  if (mac === undefined) {
    throw new PcapRecordError(`wlan_sa ${JSON.stringify(frame.wlan_sa ?? null)} is not a MAC address`);
  }
  const probe = {
    timestamp,
    mac,
    ssid: frameSsid(frame),
    signalDbm: optionalNumber(frame.wlan_radio_signal_dbm),
  };
  return { subtype, timestamp, probe };
}

/**
 * Reads a `pcap` value: a ProbeRequest, or undefined for a frame of another type or the original
 * pipeline's `{"timestamp":null}` index lines (not errors: the topology filters them). Throws
 * PcapRecordError as readFrame does.
 */
export function readProbeRequest(value: unknown): ProbeRequest | undefined {
  return readFrame(value)?.probe ?? undefined;
}
