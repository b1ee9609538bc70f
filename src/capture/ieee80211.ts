/**
 * One captured 802.11 frame as the `pcap` record tshark 4.0 gives for it with
 * `-T ek -e wlan.fc.type_subtype -e wlan_radio.signal_dbm -e wlan.sa -e wlan.da -e wlan.bssid -e wlan.ssid`,
 * in the canonical form of src/probes/pcap.ts (decimal type/subtype, SSID as text). The rules were checked
 * frame by frame against tshark 4.0.17; the notes say where tshark's behaviour is not the obvious one.
 *
 * A frame shorter than its MAC header, for which tshark writes a record with no addresses, is skipped with a
 * reason instead: such a record says nothing about a device and could only end up in the DLQ.
 */
import { decodeSsidBytes, type PcapValue } from '../probes/pcap.js';
import { FLAG_DATA_PAD, FLAG_FCS_AT_END, type RadiotapFields, readRadiotap } from './radiotap.js';

/** LINKTYPE_IEEE802_11: 802.11 frames with no radio header, so no signal strength. */
export const LINKTYPE_IEEE802_11 = 105;
/** LINKTYPE_IEEE802_11_RADIOTAP: 802.11 frames behind a radiotap header (monitor mode). */
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;

/** Whether frames of this link type can be read. */
export function isSupportedLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_IEEE802_11_RADIOTAP || linktype === LINKTYPE_IEEE802_11;
}

export const frameSkipReasons = [
  /** The radiotap header is shorter than 8 bytes or longer than the captured bytes. */
  'radiotap-malformed',
  /** The radiotap header says no 802.11 frame follows (0-length PSDU, e.g. a sounding NDP). */
  'no-psdu',
  /** The 802.11 frame is shorter than its MAC header (cut by the snap length, or garbage). */
  'header-too-short',
  /** The 802.11 protocol version is not 0: tshark 4.0 dissects nothing of such a frame. */
  'unknown-protocol-version',
] as const;

/** Why a frame gave no record. */
export type FrameSkipReason = (typeof frameSkipReasons)[number];

export type FrameParseResult =
  | { readonly ok: true; readonly value: PcapValue }
  | { readonly ok: false; readonly reason: FrameSkipReason };

const SKIPPED: { readonly [R in FrameSkipReason]: FrameParseResult } = {
  'radiotap-malformed': Object.freeze({ ok: false, reason: 'radiotap-malformed' }),
  'no-psdu': Object.freeze({ ok: false, reason: 'no-psdu' }),
  'header-too-short': Object.freeze({ ok: false, reason: 'header-too-short' }),
  'unknown-protocol-version': Object.freeze({ ok: false, reason: 'unknown-protocol-version' }),
};

// Records share these frozen one-element arrays: most fields take few values, and not allocating them per
// frame is a measurable part of the reader's throughput.
const SUBTYPE_FIELDS = new Map<number, readonly string[]>();
const SIGNAL_FIELDS: readonly (readonly string[])[] = Array.from({ length: 256 }, (_, i) =>
  Object.freeze([String(i - 128)]),
);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Filled by readRadiotap for each frame, rather than a new object per frame.
const radiotap: RadiotapFields = { flags: 0, signalDbm: null, noPsdu: false };

function subtypeField(value: number): readonly string[] {
  let field = SUBTYPE_FIELDS.get(value);
  if (field === undefined) {
    field = Object.freeze([String(value)]);
    SUBTYPE_FIELDS.set(value, field);
  }
  return field;
}

// Bytes of fixed parameters before the tagged parameters, per management subtype; -1: no tagged parameters
// tshark reads here (ATIM, action frames, reserved subtypes). Checked with tshark: it reads IEs after the
// fixed fields of (re)association, probe, beacon, disassociation, authentication and deauthentication frames.
const MANAGEMENT_FIXED = Int8Array.of(4, 6, 10, 6, 0, 12, -1, -1, 12, -1, 2, 6, 2, -1, -1, -1);
const SUBTYPE_AUTHENTICATION = 11;

/**
 * Parses one frame of a capture with the given link type (105 or 127) into a `pcap` record.
 * `timestamp` is the capture time in epoch milliseconds, as tshark writes it (truncated, not rounded).
 * The frame is `bytes[start, end)`. Only radiotap's Flags field says that a frame ends with its FCS: like
 * tshark (with Wireshark's default "Assume packets have FCS" off), a plain 802.11 frame has none, whatever
 * the pcap link-type FCS bits or pcapng `if_fcslen` say.
 */
export function parseFrame(
  linktype: number,
  timestamp: string,
  bytes: Buffer,
  start = 0,
  end = bytes.length,
): FrameParseResult {
  let p = start;
  let signal: number | null = null;
  let flags = 0;
  if (linktype === LINKTYPE_IEEE802_11_RADIOTAP) {
    if (end - start < 8) return SKIPPED['radiotap-malformed'];
    const length = (bytes[start + 2] as number) | ((bytes[start + 3] as number) << 8);
    if (length < 8 || length > end - start) return SKIPPED['radiotap-malformed'];
    readRadiotap(bytes, start, length, radiotap);
    if (radiotap.noPsdu) return SKIPPED['no-psdu'];
    signal = radiotap.signalDbm;
    flags = radiotap.flags;
    p = start + length;
  } else if (linktype !== LINKTYPE_IEEE802_11) {
    throw new TypeError(`link type ${linktype} is not 802.11`);
  }
  const fcsLength = flags & FLAG_FCS_AT_END ? 4 : 0;
  if (end - p < 2) return SKIPPED['header-too-short'];
  const fc0 = bytes[p] as number;
  if ((fc0 & 3) !== 0) return SKIPPED['unknown-protocol-version'];
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  sa = da = bssid = -1;
  ssid = undefined;
  aggregate = undefined;
  let complete: boolean;
  if (type === 0) complete = readManagement(bytes, p, end, fcsLength);
  else if (type === 2) complete = readData(bytes, p, end, fcsLength, (flags & FLAG_DATA_PAD) !== 0);
  else complete = readControlOrExtension(bytes, p, end);
  if (!complete) return SKIPPED['header-too-short'];
  let typeSubtype = (type << 4) | subtype;
  // A Control Frame Extension (802.11ad) appends its 4-bit extension: 0x162 for a Poll, as tshark does.
  if (type === 1 && subtype === 6) typeSubtype = (typeSubtype << 4) | ((bytes[p + 1] as number) & 0x0f);
  const value: Record<string, unknown> = { timestamp, wlan_fc_type_subtype: subtypeField(typeSubtype) };
  if (signal !== null) value.wlan_radio_signal_dbm = SIGNAL_FIELDS[signal + 128];
  // (Read through a cast: the compiler cannot see that readData may have set it.)
  const amsdu = aggregate as Aggregate | undefined;
  if (amsdu !== undefined) {
    if (amsdu.sources.length > 0) value.wlan_sa = amsdu.sources;
    if (amsdu.destinations.length > 0) value.wlan_da = amsdu.destinations;
    value.wlan_bssid = amsdu.bssids;
  } else {
    if (sa >= 0) value.wlan_sa = [macAt(bytes, sa)];
    if (da >= 0) value.wlan_da = [macAt(bytes, da)];
    if (bssid >= 0) value.wlan_bssid = [macAt(bytes, bssid)];
  }
  if (ssid !== undefined) value.wlan_ssid = [ssid];
  return { ok: true, value: value as PcapValue };
}

// Where the frame's addresses are (-1: none) and its SSID, set by the readers below.
let sa = -1;
let da = -1;
let bssid = -1;
let ssid: string | undefined;

/**
 * Where the body of a management or data frame ends. tshark reads the MAC header from all the captured
 * bytes but the body only up to the FCS, except in a frame with a fragment number (its reassembly path
 * keeps the FCS in the body).
 */
function bodyEndOf(b: Buffer, p: number, end: number, fcsLength: number): number {
  return ((b[p + 22] as number) & 0x0f) === 0 ? end - fcsLength : end;
}

/** A management frame: false when shorter than its header. */
function readManagement(b: Buffer, p: number, end: number, fcsLength: number): boolean {
  if (end - p < 24) return false;
  const bodyEnd = bodyEndOf(b, p, end, fcsLength);
  // Management frames ignore the To/From DS bits.
  da = p + 4;
  sa = p + 10;
  bssid = p + 16;
  const fc1 = b[p + 1] as number;
  const subtype = (b[p] as number) >> 4;
  // With the Order bit, a 4-byte HT Control field ends the header.
  const bodyAt = p + ((fc1 & 0x80) !== 0 ? 28 : 24);
  let fixed = MANAGEMENT_FIXED[subtype] as number;
  // Only open, shared-key and fast-transition authentication put elements right after the fixed fields.
  if (subtype === SUBTYPE_AUTHENTICATION && bodyEnd - bodyAt >= 2) {
    if (((b[bodyAt] as number) | ((b[bodyAt + 1] as number) << 8)) > 2) fixed = -1;
  }
  // tshark reads no element of an encrypted frame or of a fragment that more fragments follow.
  if (fixed >= 0 && (fc1 & 0x44) === 0) ssid = findSsid(b, bodyAt + fixed, bodyEnd);
  return true;
}

/**
 * A data frame's addresses from the To/From DS bits, as tshark names them. An A-MSDU (QoS data whose QoS
 * Control says so) is read apart, by readAggregate.
 */
function readData(b: Buffer, p: number, end: number, fcsLength: number, dataPad: boolean): boolean {
  const fc1 = b[p + 1] as number;
  const ds = fc1 & 3;
  const subtype = (b[p] as number) >> 4;
  let headerLength = ds === 3 ? 30 : 24;
  if (subtype >= 8) headerLength += 2;
  if (end - p < headerLength) return false;
  // QoS subtypes 8 to 11 carry data, and the QoS Control field's bit 7 says it is an aggregate.
  if (subtype <= 11 && subtype >= 8 && ((b[p + headerLength - 2] as number) & 0x80) !== 0) {
    if (fc1 & 0x80) headerLength += 4;
    // With radiotap's data-pad flag, the body starts at the next multiple of 4 bytes.
    const bodyAt = p + (dataPad ? (headerLength + 3) & -4 : headerLength);
    readAggregate(b, p, bodyAt, bodyEndOf(b, p, end, fcsLength));
  } else if (ds === 0) setAddresses(p + 10, p + 4, p + 16);
  else if (ds === 1) setAddresses(p + 10, p + 16, p + 4);
  else if (ds === 2) setAddresses(p + 16, p + 4, p + 10);
  // A 4-address (WDS, mesh) frame has no BSSID in tshark: addr3 is the DA, addr4 the SA.
  else setAddresses(p + 24, p + 16, -1);
  return true;
}

/**
 * An A-MSDU's addresses. Its header's third (and fourth) addresses are BSSIDs; tshark lists the header's
 * SA and DA where the header has them, then each subframe's DA and SA, when the frame is neither encrypted
 * nor a fragment that more fragments follow, and the subframe's 14-byte header is all there. Subframes are
 * padded to 4 bytes. (tshark also stops at a subframe whose payload fails to dissect; only the simplest
 * case, a payload too short for an LLC header, is copied.)
 */
function readAggregate(b: Buffer, p: number, bodyAt: number, bodyEnd: number): void {
  const fc1 = b[p + 1] as number;
  const ds = fc1 & 3;
  const sources: string[] = [];
  const destinations: string[] = [];
  const bssids: string[] = [];
  if (ds === 0) {
    sources.push(macAt(b, p + 10));
    destinations.push(macAt(b, p + 4));
    bssids.push(macAt(b, p + 16));
  } else if (ds === 1) {
    sources.push(macAt(b, p + 10));
    bssids.push(macAt(b, p + 4));
  } else if (ds === 2) {
    destinations.push(macAt(b, p + 4));
    bssids.push(macAt(b, p + 10));
  } else {
    bssids.push(macAt(b, p + 16), macAt(b, p + 24));
  }
  if ((fc1 & 0x44) === 0) {
    for (let q = bodyAt; q + 14 <= bodyEnd; ) {
      destinations.push(macAt(b, q));
      sources.push(macAt(b, q + 6));
      const length = ((b[q + 12] as number) << 8) | (b[q + 13] as number);
      // tshark's LLC dissector fails on a subframe shorter than an LLC header, which ends the list.
      if (length < 3) break;
      q += (14 + length + 3) & -4;
    }
  }
  aggregate = { sources, destinations, bssids };
}

interface Aggregate {
  readonly sources: string[];
  readonly destinations: string[];
  readonly bssids: string[];
}

// An A-MSDU's address lists, which replace the single addresses (undefined for any other frame).
let aggregate: Aggregate | undefined;

function setAddresses(source: number, destination: number, bss: number): void {
  sa = source;
  da = destination;
  bssid = bss;
}

/**
 * tshark names no SA or DA in control frames, only the BSSID of PS-Poll (addr1) and CF-End (addr2); of
 * extension frames, the DMG beacon's BSSID and the S1G beacon's SA (their SSIDs are not read here).
 */
function readControlOrExtension(b: Buffer, p: number, end: number): boolean {
  const fc0 = b[p] as number;
  const subtype = fc0 >> 4;
  if ((fc0 & 0x0c) === 0x0c) {
    if (end - p < 10) return false;
    if (subtype === 0) bssid = p + 4;
    else if (subtype === 1) sa = p + 4;
    return true;
  }
  const headerLength = subtype <= 3 || subtype === 6 || subtype === 12 || subtype === 13 ? 10 : 16;
  if (end - p < headerLength) return false;
  if (subtype === 10) bssid = p + 4;
  else if (subtype === 14) bssid = p + 10;
  return true;
}

/**
 * The first SSID element among the tagged parameters in [p, end), as text. Like tshark, the walk stops at an
 * element that runs past the end, so an SSID cut short is no SSID; a zero-length SSID is "".
 */
function findSsid(b: Buffer, p: number, end: number): string | undefined {
  while (p + 2 <= end) {
    const length = b[p + 1] as number;
    const next = p + 2 + length;
    if (next > end) return undefined;
    if (b[p] === 0) return ssidText(b, p + 2, next);
    p = next;
  }
  return undefined;
}

function ssidText(b: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if ((b[i] as number) >= 0x80) return decodeSsidBytes(b.subarray(start, end));
  }
  // ASCII is its own UTF-8, and latin1 is the cheapest way to turn it into a string.
  return b.toString('latin1', start, end);
}

function macAt(b: Buffer, p: number): string {
  return `${HEX[b[p] as number]}:${HEX[b[p + 1] as number]}:${HEX[b[p + 2] as number]}:${HEX[b[p + 3] as number]}:${HEX[b[p + 4] as number]}:${HEX[b[p + 5] as number]}`;
}
