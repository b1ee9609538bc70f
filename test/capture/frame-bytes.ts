/** Builders of raw radiotap headers, 802.11 frames and capture-file blocks, for hand-made test captures. */

export const A = '02:00:00:00:00:0a';
export const B = '02:00:00:00:00:0b';
export const C = '02:00:00:00:00:0c';
export const D = '02:00:00:00:00:0d';
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export function mac(text: string): Buffer {
  return Buffer.from(text.replaceAll(':', ''), 'hex');
}

/** Present bitmap bits. */
export const RT = {
  tsft: 1 << 0,
  flags: 1 << 1,
  rate: 1 << 2,
  channel: 1 << 3,
  signal: 1 << 5,
  antenna: 1 << 11,
  rxFlags: 1 << 14,
  ampdu: 1 << 20,
  zeroLengthPsdu: 1 << 26,
  tlv: 1 << 28,
  radiotapNext: 0x20000000,
  vendorNext: 0x40000000,
  ext: 0x80000000,
} as const;

/** A radiotap header: its present words, then `data` exactly as given (the caller places the fields). */
export function radiotap(words: readonly number[], data: readonly number[] = []): Buffer {
  const header = Buffer.alloc(4 + 4 * words.length + data.length);
  header.writeUInt16LE(header.length, 2);
  for (const [i, word] of words.entries()) header.writeUInt32LE(word >>> 0, 4 + 4 * i);
  header.set(data, 4 + 4 * words.length);
  return header;
}

/** A radiotap header with just Flags and, unless null, the antenna signal. */
export function simpleRadiotap(signal: number | null, flags = 0): Buffer {
  return signal === null
    ? radiotap([RT.flags], [flags])
    : radiotap([RT.flags | RT.signal], [flags, signal & 0xff]);
}

/** An 802.11 MAC header: frame control, duration, the addresses, sequence control after the third. */
export function header(fc0: number, fc1: number, addresses: readonly string[], sequence = 0x0010): Buffer {
  const parts: Buffer[] = [Buffer.from([fc0, fc1, 0, 0])];
  addresses.forEach((address, i) => {
    parts.push(mac(address));
    if (i === 2) parts.push(Buffer.from([sequence & 0xff, sequence >> 8]));
  });
  return Buffer.concat(parts);
}

/** An information element. */
export function element(id: number, content: string | readonly number[]): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return Buffer.concat([Buffer.from([id, bytes.length]), bytes]);
}

export function probeRequest(sa: string, body: readonly Buffer[], fc1 = 0): Buffer {
  return Buffer.concat([header(0x40, fc1, [BROADCAST, sa, BROADCAST]), ...body]);
}

/** A .pcap file of radiotap frames, one per second from 1587564340 s, with the given fraction. */
export function pcapFile(
  frames: readonly Buffer[],
  options: { linktype?: number; bigEndian?: boolean; nanosecond?: boolean; fraction?: number } = {},
): Buffer {
  const le = !options.bigEndian;
  const u32 = (value: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(value >>> 0) : b.writeUInt32BE(value >>> 0);
    return b;
  };
  const u16 = (value: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(value) : b.writeUInt16BE(value);
    return b;
  };
  const parts: Buffer[] = [
    u32(options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4),
    u16(2),
    u16(4),
    u32(0),
    u32(0),
    u32(262144),
  ];
  parts.push(u32(options.linktype ?? 127));
  frames.forEach((frame, i) => {
    parts.push(
      u32(1587564340 + i),
      u32(options.fraction ?? 123456),
      u32(frame.length),
      u32(frame.length),
      frame,
    );
  });
  return Buffer.concat(parts);
}

/** Writes pcapng blocks in one byte order. */
export class PcapngBuilder {
  readonly #parts: Buffer[] = [];
  constructor(readonly littleEndian = true) {}

  #u32(value: number): Buffer {
    const b = Buffer.alloc(4);
    this.littleEndian ? b.writeUInt32LE(value >>> 0) : b.writeUInt32BE(value >>> 0);
    return b;
  }

  #u16(value: number): Buffer {
    const b = Buffer.alloc(2);
    this.littleEndian ? b.writeUInt16LE(value) : b.writeUInt16BE(value);
    return b;
  }

  /** Any block: type, length, the body padded to 4 bytes, length. */
  block(type: number, body: Buffer): this {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    this.#parts.push(this.#u32(type), this.#u32(padded.length + 12), padded, this.#u32(padded.length + 12));
    return this;
  }

  section(): this {
    const sectionLength = Buffer.alloc(8, 0xff);
    return this.block(
      0x0a0d0d0a,
      Buffer.concat([this.#u32(0x1a2b3c4d), this.#u16(1), this.#u16(0), sectionLength]),
    );
  }

  /** An interface, with `if_tsresol` and `if_tsoffset` options when given. */
  interface(linktype: number, options: { tsresol?: number; tsoffset?: bigint } = {}): this {
    const parts = [this.#u16(linktype), this.#u16(0), this.#u32(0)];
    if (options.tsresol !== undefined)
      parts.push(this.#u16(9), this.#u16(1), Buffer.from([options.tsresol, 0, 0, 0]));
    if (options.tsoffset !== undefined) {
      const offset = Buffer.alloc(8);
      this.littleEndian ? offset.writeBigInt64LE(options.tsoffset) : offset.writeBigInt64BE(options.tsoffset);
      parts.push(this.#u16(14), this.#u16(8), offset);
    }
    parts.push(this.#u32(0));
    return this.block(1, Buffer.concat(parts));
  }

  enhancedPacket(interfaceId: number, ticks: bigint, data: Buffer): this {
    const head = [
      this.#u32(interfaceId),
      this.#u32(Number(ticks >> 32n)),
      this.#u32(Number(ticks & 0xffffffffn)),
    ];
    return this.block(6, Buffer.concat([...head, this.#u32(data.length), this.#u32(data.length), data]));
  }

  /** The obsolete Packet Block: a 16-bit interface id and a drops count where the EPB has a 32-bit id. */
  packet(interfaceId: number, ticks: bigint, data: Buffer): this {
    const head = [this.#u16(interfaceId), this.#u16(0), this.#u32(Number(ticks >> 32n))];
    head.push(this.#u32(Number(ticks & 0xffffffffn)), this.#u32(data.length), this.#u32(data.length));
    return this.block(2, Buffer.concat([...head, data]));
  }

  simplePacket(data: Buffer): this {
    return this.block(3, Buffer.concat([this.#u32(data.length), data]));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#parts);
  }
}
