/**
 * The radiotap header (https://www.radiotap.org) that monitor-mode captures put before each 802.11 frame:
 * the few fields a `pcap` record needs, read as tshark 4.0 reads them (checked field by field against it).
 */

/** What a radiotap header says about its frame. */
export interface RadiotapFields {
  /** The Flags field (0 when absent): FLAG_FCS_AT_END, FLAG_DATA_PAD, … */
  flags: number;
  /** The antenna signal in dBm, null when absent. */
  signalDbm: number | null;
  /** The header says no 802.11 frame follows (0-length PSDU, e.g. a sounding NDP). */
  noPsdu: boolean;
}

/** Flags: the frame ends with its 4-byte FCS. */
export const FLAG_FCS_AT_END = 0x10;
/** Flags: padding between the 802.11 header and body, to a multiple of 4 bytes. */
export const FLAG_DATA_PAD = 0x20;

// Radiotap fields 0..28 as alignment and size, as tshark 4.0 knows them (checked field by field): 0 for
// field 25, which it does not know and after which it reads no further field, and for 28, which says that
// TLVs follow the fields.
// biome-ignore format: a table
const RADIOTAP_ALIGN = Uint8Array.of(
  8, 1, 1, 2, 2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 4, 1, 4, 2, 8, 2, 2, 0, 1, 2, 0,
);
// biome-ignore format: a table
const RADIOTAP_SIZE = Uint8Array.of(
  8, 1, 1, 4, 2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 8, 3, 8, 12, 12, 12, 12, 0, 1, 4, 0,
);
const FIELD_FLAGS = 1;
const FIELD_ANTENNA_SIGNAL = 5;
const FIELD_ZERO_LENGTH_PSDU = 26;
const FIELD_TLVS = 28;
const PRESENT_RADIOTAP_NS = 0x20000000;
const PRESENT_VENDOR_NS = 0x40000000;
const PRESENT_EXT = 0x80000000;

function u32le(b: Buffer, p: number): number {
  return (
    ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16)) +
    (b[p + 3] as number) * 0x1000000
  );
}

/**
 * Reads the Flags, antenna signal and 0-length-PSDU fields of the radiotap header at `start` (`length` bytes
 * long, checked by the caller to be within `b`) into `out`, which the caller reuses from frame to frame.
 * Fields are aligned to their size from the header's start. Like tshark, this takes the last antenna
 * signal of all the radiotap namespaces (with per-antenna namespaces, the last antenna's rather than the
 * combined one), skips vendor namespaces whole, and stops at a field it does not know or one that runs past
 * the header.
 */
export function readRadiotap(b: Buffer, start: number, length: number, out: RadiotapFields): void {
  out.flags = 0;
  out.signalDbm = null;
  out.noPsdu = false;
  // tshark reads no field of a header whose version is not 0, but still dissects the frame after it.
  if (b[start] !== 0) return;
  const end = start + length;
  let dataAt = start + 4;
  for (let word = u32le(b, dataAt); ; word = u32le(b, dataAt)) {
    dataAt += 4;
    if (!(word & PRESENT_EXT)) break;
    if (dataAt + 4 > end) return;
  }
  let at = dataAt;
  let inRadiotap = true;
  let fieldBase = 0;
  for (let wordAt = start + 4; wordAt < dataAt; wordAt += 4) {
    const word = u32le(b, wordAt);
    if (inRadiotap) {
      for (let bits = word & 0x1fffffff; bits !== 0; bits &= bits - 1) {
        const field = fieldBase + 31 - Math.clz32(bits & -bits);
        if (field === FIELD_TLVS) {
          readTlvs(b, start + ((at - start + 3) & -4), end, out);
          return;
        }
        const size = field < RADIOTAP_SIZE.length ? (RADIOTAP_SIZE[field] as number) : 0;
        if (size === 0) return;
        const align = RADIOTAP_ALIGN[field] as number;
        at = start + ((at - start + align - 1) & -align);
        if (at + size > end) return;
        if (field === FIELD_FLAGS) out.flags = b[at] as number;
        else if (field === FIELD_ANTENNA_SIGNAL) out.signalDbm = ((b[at] as number) ^ 0x80) - 0x80;
        else if (field === FIELD_ZERO_LENGTH_PSDU) out.noPsdu = true;
        at += size;
      }
    }
    if (!(word & PRESENT_EXT)) return;
    if (word & PRESENT_VENDOR_NS) {
      // The vendor namespace's header (OUI, sub-namespace, data length) precedes its data, which is skipped.
      at = start + ((at - start + 1) & -2);
      if (at + 6 > end) return;
      at += 6 + ((b[at + 4] as number) | ((b[at + 5] as number) << 8));
      inRadiotap = false;
      fieldBase = 0;
    } else if (word & PRESENT_RADIOTAP_NS) {
      inRadiotap = true;
      fieldBase = 0;
    } else {
      fieldBase += 32;
    }
  }
}

/**
 * The type-length-value list that follows the fixed fields when field 28 is present (Linux writes EHT and
 * U-SIG information this way): each TLV is a 16-bit type and length, then the data padded to 4 bytes.
 * Type 5 is an antenna signal, like field 5.
 */
function readTlvs(b: Buffer, at: number, end: number, out: RadiotapFields): void {
  while (at + 4 <= end) {
    const type = (b[at] as number) | ((b[at + 1] as number) << 8);
    const length = (b[at + 2] as number) | ((b[at + 3] as number) << 8);
    if (at + 4 + length > end) return;
    if (type === FIELD_ANTENNA_SIGNAL && length >= 1) out.signalDbm = ((b[at + 4] as number) ^ 0x80) - 0x80;
    at += 4 + ((length + 3) & -4);
  }
}
