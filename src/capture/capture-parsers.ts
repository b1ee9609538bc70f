/**
 * The record layers of the two capture formats, fed buffered bytes by src/capture/pcap-file.ts:
 * .pcap (libpcap: a file header, then records) and .pcapng (sections of blocks). Each parses every complete
 * record it is given and says what it needs to go on, so that the reader decides when to read the file.
 */
import type { PcapValue } from '../probes/pcap.js';
import { CaptureError } from './errors.js';
import { type FrameParseResult, isSupportedLinktype, parseFrame } from './ieee80211.js';
import type { MutableCaptureReadStats } from './pcap-file.js';

/**
 * Parses the complete records of `buffer[start, end)`, pushing their values to `out`, and returns the offset
 * of the first byte it did not consume. Then exactly one of these says why it stopped:
 * `error` (thrown by the reader once `out` is delivered), `skip` (bytes from there that the reader must pass
 * over in the file unread), or `need` (bytes from there it needs in the buffer to go on).
 */
export interface ContainerParser {
  parse(buffer: Buffer, start: number, end: number, out: PcapValue[]): number;
  need: number;
  skip: number;
  error: CaptureError | undefined;
}

// tshark's limit for a frame of these link types; a bigger length is a corrupt file, not a frame.
const MAX_FRAME_LENGTH = 262144;
// pcapng blocks that must be held whole (interface descriptions, packets) are no bigger than this.
const MAX_HELD_BLOCK = 16 << 20;

function count(result: FrameParseResult, out: PcapValue[], stats: MutableCaptureReadStats): void {
  if (result.ok) {
    out.push(result.value);
    stats.framesRead++;
  } else {
    stats.framesSkipped++;
    stats.skipped[result.reason]++;
  }
}

const malformed = (message: string) => new CaptureError('CAPTURE_TRUNCATED', message);

export class PcapParser implements ContainerParser {
  need = 0;
  skip = 0;
  error: CaptureError | undefined;
  #started = false;
  #littleEndian = true;
  #fractionPerMs = 1000;
  #linktype = 0;

  constructor(private readonly stats: MutableCaptureReadStats) {}

  parse(b: Buffer, start: number, end: number, out: PcapValue[]): number {
    let p = start;
    if (!this.#started) {
      if (end - p < 24) {
        this.need = 24;
        return p;
      }
      const magic = b.readUInt32LE(p);
      this.#littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
      const nanosecond = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
      this.#fractionPerMs = nanosecond ? 1_000_000 : 1000;
      // The top 6 bits may carry FCS information, which tshark does not use for 802.11 (see parseFrame).
      const linktype = (this.#littleEndian ? b.readUInt32LE(p + 20) : b.readUInt32BE(p + 20)) & 0x03ffffff;
      if (!isSupportedLinktype(linktype)) {
        this.error = unsupported(linktype);
        return p;
      }
      this.#linktype = linktype;
      this.#started = true;
      p += 24;
    }
    const le = this.#littleEndian;
    while (end - p >= 16) {
      const length = le ? b.readUInt32LE(p + 8) : b.readUInt32BE(p + 8);
      if (length > MAX_FRAME_LENGTH) {
        this.error = malformed(
          `a record of ${length} bytes, more than ${MAX_FRAME_LENGTH}: the file is corrupt`,
        );
        return p;
      }
      const next = p + 16 + length;
      if (next > end) {
        this.need = 16 + length;
        return p;
      }
      const seconds = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
      const fraction = le ? b.readUInt32LE(p + 4) : b.readUInt32BE(p + 4);
      const ms = seconds * 1000 + Math.floor(fraction / this.#fractionPerMs);
      count(parseFrame(this.#linktype, String(ms), b, p + 16, next), out, this.stats);
      p = next;
    }
    this.need = 16;
    return p;
  }
}

function unsupported(linktype: number, where = 'the capture'): CaptureError {
  return new CaptureError(
    'CAPTURE_UNSUPPORTED_LINKTYPE',
    `${where} has link type ${linktype}, not 802.11 with radiotap (127) or plain 802.11 (105)`,
  );
}

const SECTION_HEADER = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION = 1;
const OBSOLETE_PACKET = 2;
const SIMPLE_PACKET = 3;
const ENHANCED_PACKET = 6;
const OPTION_TSRESOL = 9;
const OPTION_TSOFFSET = 14;

interface Interface {
  readonly linktype: number;
  /** Epoch ms as text, from the 64-bit timestamp's high and low words. */
  readonly milliseconds: (high: number, low: number) => string;
}

/**
 * Epoch ms from an interface's timestamp units (`if_tsresol`: 10^-n or, with the top bit, 2^-n seconds)
 * and `if_tsoffset` seconds, truncated as tshark truncates. The usual resolutions take a Number path;
 * the rest BigInt arithmetic.
 */
function millisecondsOf(tsresol: number, offsetSeconds: bigint): Interface['milliseconds'] {
  const exponent = tsresol & 0x7f;
  const divisor = 10 ** (exponent - 3);
  if ((tsresol & 0x80) === 0 && exponent >= 3 && divisor <= 2 ** 21) {
    const offsetMs = Number(offsetSeconds) * 1000;
    const exact = (high: number, low: number) => {
      // (high * 2^32 + low) / divisor, by long division in two 32-bit steps: each step stays below 2^53.
      const quotient = Math.floor(high / divisor);
      const remainder = high - quotient * divisor;
      return quotient * 4294967296 + Math.floor((remainder * 4294967296 + low) / divisor) + offsetMs;
    };
    const slow = bigintMilliseconds(10n ** BigInt(exponent), offsetSeconds);
    return (high, low) => {
      const ms = exact(high, low);
      return Number.isSafeInteger(ms) ? String(ms) : slow(high, low);
    };
  }
  return bigintMilliseconds(
    (tsresol & 0x80) === 0 ? 10n ** BigInt(exponent) : 1n << BigInt(exponent),
    offsetSeconds,
  );
}

function bigintMilliseconds(unitsPerSecond: bigint, offsetSeconds: bigint): Interface['milliseconds'] {
  const offsetMs = offsetSeconds * 1000n;
  return (high, low) =>
    ((((BigInt(high) << 32n) | BigInt(low)) * 1000n) / unitsPerSecond + offsetMs).toString();
}

export class PcapngParser implements ContainerParser {
  need = 0;
  skip = 0;
  error: CaptureError | undefined;
  #littleEndian = true;
  #interfaces: Interface[] = [];

  constructor(private readonly stats: MutableCaptureReadStats) {}

  #u32(b: Buffer, p: number): number {
    return this.#littleEndian ? b.readUInt32LE(p) : b.readUInt32BE(p);
  }

  #u16(b: Buffer, p: number): number {
    return this.#littleEndian ? b.readUInt16LE(p) : b.readUInt16BE(p);
  }

  parse(b: Buffer, start: number, end: number, out: PcapValue[]): number {
    let p = start;
    for (;;) {
      const available = end - p;
      if (available < 12) {
        this.need = 12;
        return p;
      }
      // A section header's type reads the same in both byte orders; its byte-order magic sets the section's.
      const type = this.#u32(b, p);
      if (type === SECTION_HEADER) {
        if (available < 16) {
          this.need = 16;
          return p;
        }
        const magic = b.readUInt32LE(p + 8);
        if (magic !== 0x1a2b3c4d && magic !== 0x4d3c2b1a) {
          this.error = malformed('a pcapng section header with no byte-order magic');
          return p;
        }
        this.#littleEndian = magic === 0x1a2b3c4d;
        const major = this.#u16(b, p + 12);
        if (major !== 1) {
          this.error = new CaptureError(
            'CAPTURE_UNREADABLE_FILE',
            `pcapng version ${major} is not supported`,
          );
          return p;
        }
        this.#interfaces = [];
      }
      const length = this.#u32(b, p + 4);
      if (length < 12 || length % 4 !== 0 || (type === SECTION_HEADER && length < 28)) {
        this.error = malformed(`a pcapng block of type ${type} with a length of ${length}`);
        return p;
      }
      if (type === ENHANCED_PACKET || type === OBSOLETE_PACKET || type === INTERFACE_DESCRIPTION) {
        if (length > MAX_HELD_BLOCK) {
          this.error = malformed(`a pcapng block of ${length} bytes, more than ${MAX_HELD_BLOCK}`);
          return p;
        }
        if (available < length) {
          this.need = length;
          return p;
        }
        if (this.#u32(b, p + length - 4) !== length) {
          this.error = malformed(`a pcapng block of type ${type} whose trailing length is not ${length}`);
          return p;
        }
        if (type === INTERFACE_DESCRIPTION) this.#describeInterface(b, p, length);
        else
          this.#packet(
            b,
            p,
            length,
            type === ENHANCED_PACKET ? this.#u32(b, p + 8) : this.#u16(b, p + 8),
            out,
          );
        if (this.error !== undefined) return p;
        p += length;
        continue;
      }
      if (type === SIMPLE_PACKET) {
        this.stats.framesSkipped++;
        this.stats.skipped['no-timestamp']++;
      }
      // Any other block (name resolution, statistics, decryption secrets, custom...) is not needed.
      if (length <= available) {
        p += length;
      } else {
        this.skip = length;
        return p;
      }
    }
  }

  #describeInterface(b: Buffer, p: number, length: number): void {
    if (length < 20) {
      this.error = malformed('an interface description block too short for its fields');
      return;
    }
    const linktype = this.#u16(b, p + 8);
    let tsresol = 6;
    let offsetSeconds = 0n;
    const optionsEnd = p + length - 4;
    for (let o = p + 16; o + 4 <= optionsEnd; ) {
      const code = this.#u16(b, o);
      const size = this.#u16(b, o + 2);
      if (code === 0 || o + 4 + size > optionsEnd) break;
      if (code === OPTION_TSRESOL && size >= 1) tsresol = b[o + 4] as number;
      if (code === OPTION_TSOFFSET && size >= 8) {
        offsetSeconds = this.#littleEndian ? b.readBigInt64LE(o + 4) : b.readBigInt64BE(o + 4);
      }
      o += 4 + ((size + 3) & ~3);
    }
    this.#interfaces.push({ linktype, milliseconds: millisecondsOf(tsresol, offsetSeconds) });
  }

  /** An enhanced or obsolete packet block: both have the timestamp and lengths at the same offsets. */
  #packet(b: Buffer, p: number, length: number, interfaceId: number, out: PcapValue[]): void {
    const iface = this.#interfaces[interfaceId];
    if (iface === undefined) {
      this.error = malformed(`a packet of interface ${interfaceId}, which its section does not describe`);
      return;
    }
    // Checked here rather than at the description: a section may describe interfaces it never uses.
    if (!isSupportedLinktype(iface.linktype)) {
      this.error = unsupported(iface.linktype, `interface ${interfaceId}`);
      return;
    }
    const captured = this.#u32(b, p + 20);
    if (captured > length - 32 || captured > MAX_FRAME_LENGTH) {
      this.error = malformed(`a packet block of ${length} bytes claiming ${captured} captured bytes`);
      return;
    }
    const timestamp = iface.milliseconds(this.#u32(b, p + 12), this.#u32(b, p + 16));
    count(parseFrame(iface.linktype, timestamp, b, p + 28, p + 28 + captured), out, this.stats);
  }
}
