import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/errors.js';
import { type CaptureFileReader, detectCaptureFormat, readCaptureFile } from '../../src/capture/pcap-file.js';
import {
  expectedRecord,
  type SyntheticFrame,
  syntheticFrames,
  writePcap,
  writePcapng,
} from '../../src/capture/synthetic.js';
import type { PcapValue } from '../../src/probes/pcap.js';
import { B, element, PcapngBuilder, pcapFile, probeRequest, simpleRadiotap } from './frame-bytes.js';

let dir: string;
let fileCount = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'probestream-capture-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(bytes: Buffer): Promise<string> {
  const path = join(dir, `capture-${fileCount++}`);
  await writeFile(path, bytes);
  return path;
}

async function readAll(reader: CaptureFileReader): Promise<PcapValue[]> {
  const values: PcapValue[] = [];
  for await (const value of reader) values.push(value);
  return values;
}

/** What the reader gave before it failed, and how it failed. */
async function readUntilError(reader: CaptureFileReader): Promise<{ values: PcapValue[]; error: unknown }> {
  const values: PcapValue[] = [];
  try {
    for await (const value of reader) values.push(value);
  } catch (error) {
    return { values, error };
  }
  throw new Error(`the read succeeded with ${values.length} records`);
}

const frames = syntheticFrames({ seed: 7, devices: 40, frames: 2000 });
const expected = (linktype?: number) => frames.map((frame) => expectedRecord(frame, { linktype }));
const probe = (ssid: string) => Buffer.concat([simpleRadiotap(-40), probeRequest(B, [element(0, ssid)])]);

describe('detectCaptureFormat', () => {
  it('tells pcap (both byte orders, µs and ns) and pcapng from their magic numbers', () => {
    for (const magic of ['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d']) {
      expect(detectCaptureFormat(Buffer.from(`${magic}02000400`, 'hex'))).toBe('pcap');
    }
    expect(detectCaptureFormat(Buffer.from('0a0d0d0a1c000000', 'hex'))).toBe('pcapng');
  });

  it('gives undefined for anything else, or fewer than 4 bytes', () => {
    expect(detectCaptureFormat(Buffer.from('{"timestamp":"1"}'))).toBeUndefined();
    expect(detectCaptureFormat(Buffer.from('d4c3b2', 'hex'))).toBeUndefined();
    expect(detectCaptureFormat(new Uint8Array(0))).toBeUndefined();
  });
});

describe('readCaptureFile', () => {
  it.each([
    ['microsecond, little-endian', {}],
    ['microsecond, big-endian', { bigEndian: true }],
    ['nanosecond, little-endian', { nanosecond: true }],
    ['nanosecond, big-endian', { nanosecond: true, bigEndian: true }],
    ['an FCS after each frame', { fcs: true }],
  ])('reads a pcap file (%s) into the expected records', async (_, options) => {
    const reader = readCaptureFile(await file(writePcap(frames, options)));
    expect(await readAll(reader)).toEqual(expected());
    expect(reader.stats).toMatchObject({ format: 'pcap', framesRead: frames.length, framesSkipped: 0 });
  });

  it('reads plain 802.11 (link type 105) without signal', async () => {
    const path = await file(writePcap(frames, { linktype: 105 }));
    expect(await readAll(readCaptureFile(path))).toEqual(expected(105));
  });

  it('truncates nanosecond times to the millisecond, as tshark does', async () => {
    const path = await file(pcapFile([probe('x')], { nanosecond: true, fraction: 123_999_999 }));
    expect((await readAll(readCaptureFile(path)))[0]?.timestamp).toBe('1587564340123');
  });

  it('reads a pcapng file with two interfaces of different timestamp resolutions', async () => {
    const path = await file(writePcapng(frames, { tsresol: [6, 0x80 | 30] }));
    const reader = readCaptureFile(path);
    expect(await readAll(reader)).toEqual(expected());
    expect(reader.stats).toMatchObject({ format: 'pcapng', framesRead: frames.length });
  });

  it('reads a big-endian pcapng file with nanosecond timestamps and FCSs', async () => {
    const path = await file(writePcapng(frames, { bigEndian: true, tsresol: [9, 3], fcs: true }));
    expect(await readAll(readCaptureFile(path))).toEqual(expected());
  });

  it('reads every section of a pcapng file, each in its own byte order with its own interfaces', async () => {
    const first = frames.slice(0, 500);
    const second = frames.slice(500, 1000);
    const path = await file(
      Buffer.concat([writePcapng(first), writePcapng(second, { bigEndian: true, tsresol: [9] })]),
    );
    expect(await readAll(readCaptureFile(path))).toEqual(expected().slice(0, 1000));
  });

  it('adds if_tsoffset seconds and reads obsolete packet blocks', async () => {
    const pcapng = new PcapngBuilder()
      .section()
      .interface(127, { tsoffset: 3600n })
      .enhancedPacket(0, 1587564340123456n, probe('epb'))
      .packet(0, 1587564340999999n, probe('pb'))
      .toBuffer();
    const values = await readAll(readCaptureFile(await file(pcapng)));
    expect(values.map((value) => [value.timestamp, value.wlan_ssid])).toEqual([
      ['1587567940123', ['epb']],
      ['1587567940999', ['pb']],
    ]);
  });

  it('skips simple packet blocks (no timestamp) with a count, and blocks it does not know', async () => {
    const pcapng = new PcapngBuilder()
      .section()
      .interface(127)
      .simplePacket(probe('no time'))
      .block(0x0bad, Buffer.alloc(100, 7))
      .block(5, Buffer.alloc(12))
      .enhancedPacket(0, 1587564340123456n, probe('kept'))
      .toBuffer();
    const reader = readCaptureFile(await file(pcapng));
    expect((await readAll(reader)).map((value) => value.wlan_ssid)).toEqual([['kept']]);
    expect(reader.stats).toMatchObject({ framesRead: 1, framesSkipped: 1, skipped: { 'no-timestamp': 1 } });
  });

  it('passes over a block bigger than its buffer without holding it', async () => {
    const huge = 3 << 20;
    const pcapng = new PcapngBuilder()
      .section()
      .interface(127)
      .block(0x0bad, Buffer.alloc(huge))
      .enhancedPacket(0, 1587564340123456n, probe('after'))
      .toBuffer();
    const reader = readCaptureFile(await file(pcapng), { chunkSize: 4096 });
    expect((await readAll(reader)).map((value) => value.wlan_ssid)).toEqual([['after']]);
    expect(reader.stats.bytesRead).toBeLessThan(huge);
  });

  it('counts frames it cannot read, by reason, and goes on', async () => {
    const tooShort = Buffer.concat([simpleRadiotap(-40), probeRequest(B, []).subarray(0, 10)]);
    const badRadiotap = Buffer.from([0, 0, 99, 0, 0, 0, 0, 0]);
    const reader = readCaptureFile(await file(pcapFile([probe('a'), tooShort, badRadiotap, probe('b')])));
    expect((await readAll(reader)).map((value) => value.wlan_ssid)).toEqual([['a'], ['b']]);
    expect(reader.stats).toMatchObject({
      framesRead: 2,
      framesSkipped: 2,
      skipped: { 'header-too-short': 1, 'radiotap-malformed': 1, 'no-timestamp': 0 },
    });
  });

  it('gives the same records when every record straddles the chunks it reads', async () => {
    const pcap = await file(writePcap(frames.slice(0, 300)));
    const pcapng = await file(writePcapng(frames.slice(0, 300), { tsresol: [6, 9] }));
    expect(await readAll(readCaptureFile(pcap, { chunkSize: 7 }))).toEqual(expected().slice(0, 300));
    expect(await readAll(readCaptureFile(pcapng, { chunkSize: 7 }))).toEqual(expected().slice(0, 300));
  });

  it('hands on a chunk of records at a time through batches()', async () => {
    const reader = readCaptureFile(await file(writePcap(frames)), { chunkSize: 16384 });
    const batches: (readonly PcapValue[])[] = [];
    for await (const batch of reader.batches()) batches.push(batch);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(expected());
  });

  it('reads the file afresh, with fresh counts, each time it is iterated, also after leaving early', async () => {
    const reader = readCaptureFile(await file(writePcap(frames.slice(0, 50))));
    for await (const _ of reader) break;
    expect(await readAll(reader)).toHaveLength(50);
    expect(reader.stats.framesRead).toBe(50);
  });

  describe('with a file cut in the middle of a record', () => {
    it.each([
      ['pcap', writePcap(frames.slice(0, 100))],
      ['pcapng', writePcapng(frames.slice(0, 100))],
    ])('gives the %s frames before the cut, then throws CAPTURE_TRUNCATED', async (_, whole) => {
      const { values, error } = await readUntilError(
        readCaptureFile(await file(whole.subarray(0, whole.length - 10))),
      );
      expect(values).toEqual(expected().slice(0, 99));
      expect(error).toBeInstanceOf(CaptureError);
      expect((error as CaptureError).code).toBe('CAPTURE_TRUNCATED');
    });

    it('throws CAPTURE_TRUNCATED for a pcap file cut in its header', async () => {
      const { error } = await readUntilError(readCaptureFile(await file(writePcap([]).subarray(0, 10))));
      expect((error as CaptureError).code).toBe('CAPTURE_TRUNCATED');
    });

    it('throws CAPTURE_TRUNCATED when a skipped block runs past the end of the file', async () => {
      const pcapng = new PcapngBuilder()
        .section()
        .block(0x0bad, Buffer.alloc(1 << 16))
        .toBuffer();
      const { error } = await readUntilError(
        readCaptureFile(await file(pcapng.subarray(0, 40000)), { chunkSize: 1024 }),
      );
      expect((error as CaptureError).code).toBe('CAPTURE_TRUNCATED');
    });
  });

  it('throws CAPTURE_TRUNCATED for a corrupt record length or a packet of an undescribed interface', async () => {
    const corrupt = pcapFile([probe('a')]);
    corrupt.writeUInt32LE(1 << 30, 24 + 8);
    expect(((await readUntilError(readCaptureFile(await file(corrupt)))).error as CaptureError).code).toBe(
      'CAPTURE_TRUNCATED',
    );
    const orphan = new PcapngBuilder().section().interface(127).enhancedPacket(1, 0n, probe('a')).toBuffer();
    const { error } = await readUntilError(readCaptureFile(await file(orphan)));
    expect(error).toMatchObject({
      code: 'CAPTURE_TRUNCATED',
      message: expect.stringContaining('interface 1'),
    });
  });

  it.each([
    ['a JSON-lines file', Buffer.from('{"timestamp":"1587564340123"}\n')],
    ['an empty file', Buffer.alloc(0)],
  ])('throws CAPTURE_UNREADABLE_FILE for %s', async (_, bytes) => {
    const { error } = await readUntilError(readCaptureFile(await file(bytes)));
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).code).toBe('CAPTURE_UNREADABLE_FILE');
  });

  it('throws CAPTURE_UNREADABLE_FILE, with the cause, for a missing file or a directory', async () => {
    const missing = await readUntilError(readCaptureFile(join(dir, 'no-such-file.pcap')));
    expect(missing.error).toMatchObject({ code: 'CAPTURE_UNREADABLE_FILE', cause: { code: 'ENOENT' } });
    expect((await readUntilError(readCaptureFile(dir))).error).toMatchObject({
      code: 'CAPTURE_UNREADABLE_FILE',
    });
  });

  it('throws CAPTURE_UNSUPPORTED_LINKTYPE for an Ethernet pcap file', async () => {
    const { values, error } = await readUntilError(
      readCaptureFile(await file(pcapFile([probe('a')], { linktype: 1 }))),
    );
    expect(values).toEqual([]);
    expect(error).toMatchObject({
      code: 'CAPTURE_UNSUPPORTED_LINKTYPE',
      message: expect.stringContaining('1'),
    });
  });

  it('throws CAPTURE_UNSUPPORTED_LINKTYPE at the first packet of an unsupported pcapng interface only', async () => {
    const pcapng = new PcapngBuilder()
      .section()
      .interface(127)
      .interface(1)
      .enhancedPacket(0, 1587564340123456n, probe('radiotap'))
      .enhancedPacket(1, 1587564340123456n, Buffer.alloc(60))
      .toBuffer();
    const { values, error } = await readUntilError(readCaptureFile(await file(pcapng)));
    expect(values.map((value) => value.wlan_ssid)).toEqual([['radiotap']]);
    expect(error).toMatchObject({ code: 'CAPTURE_UNSUPPORTED_LINKTYPE' });
  });

  it('stops with the abort reason when its signal aborts', async () => {
    const controller = new AbortController();
    const reader = readCaptureFile(await file(writePcap(frames)), {
      signal: controller.signal,
      chunkSize: 4096,
    });
    let count = 0;
    const read = async () => {
      for await (const _ of reader) if (++count === 10) controller.abort(new Error('enough'));
    };
    await expect(read()).rejects.toThrow('enough');
    expect(count).toBeLessThan(frames.length);
  });

  it('rejects a chunk size out of range', () => {
    expect(() => readCaptureFile('x', { chunkSize: 0 })).toThrow(TypeError);
    expect(() => readCaptureFile('x', { chunkSize: 1.5 })).toThrow(TypeError);
  });

  describe('with a large capture', () => {
    let many: SyntheticFrame[];
    let path: string;

    beforeAll(async () => {
      many = syntheticFrames({ seed: 2024, devices: 5000, frames: 200_000 });
      path = await file(writePcapng(many, { tsresol: [6, 9] }));
    });

    it('streams it chunk by chunk, giving every frame its expected record', async () => {
      const chunkSize = 64 << 10;
      const reader = readCaptureFile(path, { chunkSize });
      let i = 0;
      let mismatches = 0;
      let readAtFirstRecord = -1;
      let readAtHalf = -1;
      for await (const value of reader) {
        if (i === 0) readAtFirstRecord = reader.stats.bytesRead;
        if (i === many.length / 2) readAtHalf = reader.stats.bytesRead;
        if (JSON.stringify(value) !== JSON.stringify(expectedRecord(many[i] as SyntheticFrame))) mismatches++;
        i++;
      }
      expect(i).toBe(many.length);
      expect(mismatches).toBe(0);
      // It had read one chunk when it gave the first record, and about half the file halfway through.
      const size = reader.stats.bytesRead;
      expect(readAtFirstRecord).toBe(chunkSize);
      expect(readAtHalf).toBeGreaterThan(size * 0.4);
      expect(readAtHalf).toBeLessThan(size * 0.6);
    }, 60_000);
  });
});
