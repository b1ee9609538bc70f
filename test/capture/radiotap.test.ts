import { describe, expect, it } from 'vitest';
import { FLAG_FCS_AT_END, type RadiotapFields, readRadiotap } from '../../src/capture/radiotap.js';
import { RT, radiotap } from './frame-bytes.js';

function read(header: Buffer): RadiotapFields {
  const out: RadiotapFields = { flags: -1, signalDbm: -1, noPsdu: true };
  readRadiotap(header, 0, header.length, out);
  return out;
}

const int8 = (value: number) => value & 0xff;

describe('readRadiotap', () => {
  it('reads the flags and the antenna signal of a one-word header', () => {
    expect(read(radiotap([RT.flags | RT.signal], [FLAG_FCS_AT_END, int8(-67)]))).toEqual({
      flags: FLAG_FCS_AT_END,
      signalDbm: -67,
      noPsdu: false,
    });
  });

  it('gives no signal and no flags when the header has neither', () => {
    expect(read(radiotap([RT.rate], [2]))).toEqual({ flags: 0, signalDbm: null, noPsdu: false });
  });

  it('aligns each field to its size from the start of the header', () => {
    // Two present words: data starts at 12, so the 8-byte TSF timer is padded to 16; rate at 24, the
    // channel padded to 26, the signal at 30.
    const data = [9, 9, 9, 9, ...new Array<number>(8).fill(1), 2, 0, 0x85, 0x09, 0xa0, 0, int8(-51)];
    const header = radiotap([RT.tsft | RT.rate | RT.channel | RT.signal | RT.ext, 0], data);
    expect(read(header).signalDbm).toBe(-51);
  });

  it('takes the last antenna signal of extended bitmaps with per-antenna namespaces, as tshark does', () => {
    const words = [
      RT.flags | RT.signal | RT.radiotapNext | RT.ext,
      RT.signal | RT.antenna | RT.radiotapNext | RT.ext,
      RT.signal | RT.antenna,
    ];
    const header = radiotap(words, [0, int8(-40), int8(-45), 0, int8(-41), 1]);
    expect(read(header).signalDbm).toBe(-41);
  });

  it('reads a signal that only a later radiotap namespace announces', () => {
    expect(read(radiotap([RT.flags | RT.radiotapNext | RT.ext, RT.signal], [0, int8(-46)])).signalDbm).toBe(
      -46,
    );
  });

  it('skips a vendor namespace whole, then aligns the next fields from the header start', () => {
    // Header of 16 bytes: flags 16, signal 17, vendor header 18..23 announcing 3 bytes of data (24..26),
    // then the radiotap namespace again: the channel aligned to 28, the signal at 32.
    const words = [RT.flags | RT.signal | RT.vendorNext | RT.ext, 0x1 | RT.signal | RT.radiotapNext | RT.ext];
    const vendor = [0x00, 0x13, 0x74, 0, 3, 0, int8(-99), int8(-99), int8(-99)];
    const data = [0, int8(-60), ...vendor, 0, 0x85, 0x09, 0xa0, 0, int8(-62)];
    expect(read(radiotap([...words, RT.channel | RT.signal], data)).signalDbm).toBe(-62);
  });

  it('stops at a field tshark 4.0 does not know, before a later signal', () => {
    const unknown = 1 << 25;
    expect(
      read(
        radiotap([RT.flags | unknown | RT.radiotapNext | RT.ext, RT.signal], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      ),
    ).toEqual({
      flags: 0,
      signalDbm: null,
      noPsdu: false,
    });
  });

  it('stops at a field of a bitmap that continues the same namespace (fields 32 and up are unknown)', () => {
    expect(read(radiotap([RT.flags | RT.ext, RT.signal], [0, int8(-54)])).signalDbm).toBeNull();
  });

  it('stops at a field that runs past the header', () => {
    expect(read(radiotap([RT.tsft | RT.signal], [1, 2, 3, 4])).signalDbm).toBeNull();
  });

  it('reads no field of a header whose version is not 0', () => {
    const header = radiotap([RT.flags | RT.signal], [FLAG_FCS_AT_END, int8(-50)]);
    header[0] = 1;
    expect(read(header)).toEqual({ flags: 0, signalDbm: null, noPsdu: false });
  });

  it('reads an antenna signal from the TLVs that follow the fields, padded to 4 bytes', () => {
    // Flags at 8, then TLVs from 12: U-SIG (type 33, 12 bytes), then an antenna signal (type 5, 1 byte).
    const tlvs = [33, 0, 12, 0, ...new Array<number>(12).fill(3), 5, 0, 1, 0, int8(-48), 0, 0, 0];
    expect(read(radiotap([RT.flags | RT.tlv], [0, 0xff, 0xff, 0xff, ...tlvs])).signalDbm).toBe(-48);
  });

  it('keeps the bitmap signal when the TLVs carry none', () => {
    const tlvs = [34, 0, 8, 0, ...new Array<number>(8).fill(5)];
    expect(read(radiotap([RT.flags | RT.signal | RT.tlv], [0, int8(-55), 0, 0, ...tlvs])).signalDbm).toBe(
      -55,
    );
  });

  it('says when no 802.11 frame follows (0-length PSDU)', () => {
    expect(read(radiotap([RT.signal | RT.zeroLengthPsdu], [int8(-70), 2])).noPsdu).toBe(true);
  });
});
