/**
 * Writes synthetic frames (src/capture/synthetic.ts) as the bytes a monitor-mode capture would hold: a
 * radiotap header, the 802.11 frame, optionally its FCS; and those frames as .pcap or .pcapng files.
 * For tests, benchmarks and the demo: every file is built in memory.
 */
import { crc32 } from 'node:zlib';
import { isSupportedLinktype, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP } from './ieee80211.js';
import type { SyntheticFrame } from './synthetic.js';

export interface CaptureWriteOptions {
  /**
   * End every frame with its frame check sequence (CRC-32), flagged in the radiotap header, as some drivers
   * capture. Radiotap only: tshark reads a plain 802.11 frame's FCS as frame data. Defaults to false.
   */
  readonly fcs?: boolean;
  /** Write numbers big-endian, as a capture made on a big-endian machine. Defaults to false. */
  readonly bigEndian?: boolean;
  /** 127 (radiotap, the default) or 105 (plain 802.11, which has no signal strength). */
  readonly linktype?: number;
}

export interface PcapWriteOptions extends CaptureWriteOptions {
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. Defaults to false. */
  readonly nanosecond?: boolean;
}

export interface PcapngWriteOptions extends CaptureWriteOptions {
  /**
   * One interface per entry, with that `if_tsresol` byte: 3..9 for 10^-n s, 0x80 | 20..33 for 2^-n s
   * (coarser resolutions would lose the millisecond). Frame i is captured on interface i mod n.
   * Defaults to [6] (microseconds, the pcapng default).
   */
  readonly tsresol?: readonly number[];
}

const FLAG_FCS_AT_END = 0x10;
const RADIOTAP_NS = 0x20000000;
const VENDOR_NS = 0x40000000;
const EXT = 0x80000000;

/** A growable buffer that numbers are written into in one byte order. */
class ByteWriter {
  #buffer: Buffer;
  length = 0;

  constructor(
    readonly littleEndian: boolean,
    capacity = 256,
  ) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  #claim(size: number): number {
    if (this.length + size > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.length + size));
      this.#buffer.copy(bigger, 0, 0, this.length);
      this.#buffer = bigger;
    }
    const at = this.length;
    this.length += size;
    return at;
  }

  u8(value: number): this {
    this.#buffer[this.#claim(1)] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    const at = this.#claim(2);
    this.littleEndian ? this.#buffer.writeUInt16LE(value, at) : this.#buffer.writeUInt16BE(value, at);
    return this;
  }

  u32(value: number): this {
    const at = this.#claim(4);
    this.littleEndian
      ? this.#buffer.writeUInt32LE(value >>> 0, at)
      : this.#buffer.writeUInt32BE(value >>> 0, at);
    return this;
  }

  u64(value: bigint): this {
    const at = this.#claim(8);
    const bits = BigInt.asUintN(64, value);
    this.littleEndian ? this.#buffer.writeBigUInt64LE(bits, at) : this.#buffer.writeBigUInt64BE(bits, at);
    return this;
  }

  bytes(value: Uint8Array | readonly number[]): this {
    const at = this.#claim(value.length);
    this.#buffer.set(value, at);
    return this;
  }

  /** Zeros until the length from `from` is a multiple of `multiple`. */
  align(multiple: number, from = 0): this {
    const padding = (multiple - ((this.length - from) % multiple)) % multiple;
    this.#buffer.fill(0, this.#claim(padding), this.length);
    return this;
  }

  patchU16LE(at: number, value: number): void {
    this.#buffer.writeUInt16LE(value, at);
  }

  patchU32(at: number, value: number): void {
    this.littleEndian ? this.#buffer.writeUInt32LE(value, at) : this.#buffer.writeUInt32BE(value, at);
  }

  /** The bytes written since `from`, valid until the next write. */
  view(from = 0): Buffer {
    return this.#buffer.subarray(from, this.length);
  }
}

/** The SSID element's bytes for a frame's `ssid`. */
export function ssidBytes(ssid: string | Uint8Array): Uint8Array {
  return typeof ssid === 'string' ? Buffer.from(ssid, 'utf8') : ssid;
}

const int8 = (value: number): number => Math.max(-128, Math.min(127, value)) & 0xff;

/**
 * The radiotap header of a layout (see RadiotapLayout): present bitmaps, then each field aligned to its size
 * from the header's start.
 */
function writeRadiotap(w: ByteWriter, frame: SyntheticFrame, flags: number): void {
  const start = w.length;
  const signal = frame.signalDbm ?? null;
  const sig = signal === null ? 0 : 1 << 5;
  const layout = frame.radiotap ?? 'minimal';
  const words =
    layout === 'minimal'
      ? [0x2 | sig]
      : layout === 'common'
        ? [0xe | sig | 0x800]
        : layout === 'tsft'
          ? [0xf | sig | 0x4000]
          : layout === 'multi-antenna'
            ? [0xe | sig | RADIOTAP_NS | EXT, 0x800 | sig | RADIOTAP_NS | EXT, 0x800 | sig]
            : [0xe | sig | VENDOR_NS | EXT, 0x1 | RADIOTAP_NS | EXT, 0x4000 | 0x100000];
  w.u8(0).u8(0).u16(0);
  for (const word of words) w.u32(word);
  if (layout === 'tsft') w.align(8, start).u64(frame.timeUs);
  w.u8(flags);
  if (layout !== 'minimal') w.u8(0x02).align(2, start).u16(2437).u16(0x00a0);
  if (layout === 'multi-antenna') {
    // The combined signal, then one per antenna: tshark reports the last one, which is the frame's signal.
    if (signal !== null) w.u8(int8(signal + 2));
    if (signal !== null) w.u8(int8(signal + 4));
    w.u8(0);
    if (signal !== null) w.u8(int8(signal));
    w.u8(1);
  } else {
    if (signal !== null) w.u8(int8(signal));
    if (layout === 'common') w.u8(0);
    if (layout === 'tsft') w.align(2, start).u16(0);
    // Vendor data of odd length, then fields aligned to 2 and 4 bytes.
    if (layout === 'vendor')
      w.align(2, start).bytes(VENDOR_NAMESPACE).align(2, start).u16(0).align(4, start).u32(7).u32(0);
  }
  w.patchU16LE(start + 2, w.length - start);
}

// OUI 00:13:74, sub-namespace 0, 5 bytes of data.
const VENDOR_NAMESPACE = [0x00, 0x13, 0x74, 0x00, 5, 0, 1, 2, 3, 4, 5];
const RATES = [1, 8, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24];
const EXTENDED_RATES = [50, 4, 0x30, 0x48, 0x60, 0x6c];
const HT_CAPABILITIES = [45, 26, 0xef, 0x01, 0x1b, 0xff, 0xff, ...new Array<number>(21).fill(0)];
const VENDOR_WPS = [221, 9, 0x00, 0x50, 0xf2, 0x04, 0x10, 0x4a, 0x00, 0x01, 0x10];
const LLC_IPV4 = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45, 0, 0, 20, ...new Array<number>(16).fill(0x5a)];

// Synthetic captures repeat a few MACs and SSIDs many times: parse each once.
const macCache = new Map<string, Buffer>();

function macBytes(mac: string): Buffer {
  let bytes = macCache.get(mac);
  if (bytes === undefined) {
    const hex = mac.replace(/[:-]/g, '');
    if (!/^[0-9a-f]{12}$/i.test(hex)) throw new TypeError(`${JSON.stringify(mac)} is not a MAC address`);
    bytes = Buffer.from(hex, 'hex');
    if (macCache.size > 100_000) macCache.clear();
    macCache.set(mac, bytes);
  }
  return bytes;
}

function writeSsidElement(w: ByteWriter, ssid: string | Uint8Array | null | undefined): void {
  if (ssid === null || ssid === undefined) return;
  const bytes = ssidBytes(ssid);
  if (bytes.length > 255) throw new TypeError(`an SSID element holds at most 255 bytes, got ${bytes.length}`);
  w.u8(0).u8(bytes.length).bytes(bytes);
}

/** The 802.11 frame, without FCS. */
function writeIeee80211(w: ByteWriter, frame: SyntheticFrame): void {
  const sa = macBytes(frame.sa);
  const da = macBytes(frame.da);
  const bssid = macBytes(frame.bssid);
  const sequence = (Number(frame.timeUs & 0xfffn) << 4) & 0xffff;
  if (frame.kind === 'data') {
    const toDs = frame.direction !== 'from-ds';
    w.u8(0x08)
      .u8(toDs ? 1 : 2)
      .u16(0);
    if (toDs) w.bytes(bssid).bytes(sa).bytes(da);
    else w.bytes(da).bytes(bssid).bytes(sa);
    w.u16(sequence).bytes(LLC_IPV4);
    return;
  }
  const fc0 = frame.kind === 'probe-request' ? 0x40 : frame.kind === 'beacon' ? 0x80 : 0x50;
  w.u8(fc0).u8(0).u16(0).bytes(da).bytes(sa).bytes(bssid).u16(sequence);
  if (frame.kind === 'probe-request') {
    writeSsidElement(w, frame.ssid);
    w.bytes(RATES).bytes(EXTENDED_RATES).bytes(HT_CAPABILITIES).bytes(VENDOR_WPS);
  } else {
    // Fixed fields: TSF timer, beacon interval, capabilities.
    w.u64(frame.timeUs).u16(100).u16(0x0431);
    writeSsidElement(w, frame.ssid);
    w.bytes(RATES).u8(3).u8(1).u8(6);
    if (frame.kind === 'beacon') w.u8(5).u8(4).u8(0).u8(1).u8(0).u8(0);
  }
}

// Frames are encoded here, then copied into the file: radiotap and 802.11 are little-endian whatever the file.
const scratch = new ByteWriter(true, 1024);

function encodeFrame(frame: SyntheticFrame, options: CaptureWriteOptions): Buffer {
  const linktype = options.linktype ?? LINKTYPE_IEEE802_11_RADIOTAP;
  if (!isSupportedLinktype(linktype)) throw new TypeError(`link type ${linktype} is not 802.11`);
  if (options.fcs && linktype === LINKTYPE_IEEE802_11)
    throw new TypeError('only radiotap frames can carry an FCS');
  scratch.length = 0;
  if (linktype === LINKTYPE_IEEE802_11_RADIOTAP)
    writeRadiotap(scratch, frame, options.fcs ? FLAG_FCS_AT_END : 0);
  const macStart = scratch.length;
  writeIeee80211(scratch, frame);
  if (options.fcs) scratch.u32(crc32(scratch.view(macStart)));
  return scratch.view();
}

/** A frame's captured bytes for the link type: radiotap header (unless 105), 802.11 frame, optional FCS. */
export function frameBytes(frame: SyntheticFrame, options: CaptureWriteOptions = {}): Buffer {
  return Buffer.from(encodeFrame(frame, options));
}

function timeParts(timeUs: bigint): { seconds: number; micros: number } {
  if (timeUs < 0n || timeUs >= 2n ** 32n * 1_000_000n)
    throw new RangeError(`time ${timeUs} µs does not fit a pcap file`);
  return { seconds: Number(timeUs / 1_000_000n), micros: Number(timeUs % 1_000_000n) };
}

/** A .pcap file of the frames: microsecond (or nanosecond) timestamps, one link type. */
export function writePcap(frames: readonly SyntheticFrame[], options: PcapWriteOptions = {}): Buffer {
  const out = new ByteWriter(!options.bigEndian, 24 + frames.length * 160);
  const linktype = options.linktype ?? LINKTYPE_IEEE802_11_RADIOTAP;
  out
    .u32(options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(262144)
    .u32(linktype);
  for (const frame of frames) {
    const data = encodeFrame(frame, options);
    const { seconds, micros } = timeParts(frame.timeUs);
    out
      .u32(seconds)
      .u32(options.nanosecond ? micros * 1000 : micros)
      .u32(data.length)
      .u32(data.length)
      .bytes(data);
  }
  return out.view();
}

/** Starts a pcapng block; endBlock pads it and writes its length at both ends. */
function beginBlock(out: ByteWriter, type: number): number {
  const start = out.length;
  out.u32(type).u32(0);
  return start;
}

function endBlock(out: ByteWriter, start: number): void {
  out.align(4, start);
  const length = out.length - start + 4;
  out.u32(length);
  out.patchU32(start + 4, length);
}

function option(out: ByteWriter, code: number, value: Uint8Array): void {
  out.u16(code).u16(value.length).bytes(value).align(4);
}

/** Timestamp units of a tsresol byte, checked to keep every millisecond of the frames' times. */
function ticksOf(timeUs: bigint, tsresol: number): bigint {
  let ticks: bigint;
  const exponent = BigInt(tsresol & 0x7f);
  if (tsresol & 0x80) {
    if (exponent < 20n) throw new RangeError(`if_tsresol 2^-${exponent} s is coarser than a microsecond`);
    // Rounded up: a tick just before the microsecond could fall into the previous millisecond.
    ticks = (timeUs * (1n << exponent) + 999_999n) / 1_000_000n;
  } else {
    if (exponent < 3n) throw new RangeError(`if_tsresol 10^-${exponent} s is coarser than a millisecond`);
    ticks = exponent >= 6n ? timeUs * 10n ** (exponent - 6n) : timeUs / 10n ** (6n - exponent);
  }
  if (ticks >= 2n ** 64n) throw new RangeError(`time ${timeUs} µs does not fit if_tsresol ${tsresol}`);
  return ticks;
}

/** A .pcapng file of the frames: one section, one interface per `tsresol` entry, enhanced packet blocks. */
export function writePcapng(frames: readonly SyntheticFrame[], options: PcapngWriteOptions = {}): Buffer {
  const out = new ByteWriter(!options.bigEndian, 256 + frames.length * 176);
  const linktype = options.linktype ?? LINKTYPE_IEEE802_11_RADIOTAP;
  const resolutions = options.tsresol ?? [6];
  if (resolutions.length === 0) throw new TypeError('a pcapng file needs at least one interface');
  const shb = beginBlock(out, 0x0a0d0d0a);
  out.u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n);
  option(out, 4, Buffer.from('probestream synthetic capture'));
  endBlock(out.u32(0), shb);
  resolutions.forEach((tsresol, i) => {
    const idb = beginBlock(out, 1);
    out.u16(linktype).u16(0).u32(0);
    option(out, 2, Buffer.from(`wlan${i}mon`));
    option(out, 9, Uint8Array.of(tsresol));
    endBlock(out.u32(0), idb);
  });
  frames.forEach((frame, i) => {
    const ticks = ticksOf(frame.timeUs, resolutions[i % resolutions.length] as number);
    const data = encodeFrame(frame, options);
    const epb = beginBlock(out, 6);
    out
      .u32(i % resolutions.length)
      .u32(Number(ticks >> 32n))
      .u32(Number(ticks & 0xffffffffn));
    out.u32(data.length).u32(data.length).bytes(data);
    endBlock(out, epb);
  });
  return out.view();
}
