import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/capture/ieee80211.js';
import {
  expectedRecord,
  frameBytes,
  type RadiotapLayout,
  type SyntheticFrame,
  writePcap,
  writePcapng,
} from '../../src/capture/synthetic.js';

const frame: SyntheticFrame = {
  kind: 'beacon',
  timeUs: 1587564340123456n,
  sa: '02:11:22:33:44:55',
  da: 'ff:ff:ff:ff:ff:ff',
  bssid: '02:11:22:33:44:55',
  ssid: 'Guest 🛜',
  signalDbm: -71,
};

const layouts: RadiotapLayout[] = ['minimal', 'common', 'tsft', 'multi-antenna', 'vendor'];

function parsed(bytes: Buffer, linktype = 127) {
  const result = parseFrame(linktype, (frame.timeUs / 1000n).toString(), bytes);
  return result.ok ? result.value : result.reason;
}

describe('frameBytes', () => {
  describe.each(layouts)('with the %s radiotap layout', (radiotap) => {
    it.each([
      ['a signal', -71, false],
      ['no signal', null, false],
      ['a signal and an FCS', -71, true],
      ['no signal and an FCS', null, true],
    ])('writes a frame with %s that reads back as its expected record', (_, signalDbm, fcs) => {
      const written = { ...frame, radiotap, signalDbm };
      expect(parsed(frameBytes(written, { fcs }))).toEqual(expectedRecord(written));
    });
  });

  it('writes every kind of frame so that it reads back as its expected record', () => {
    const kinds: SyntheticFrame[] = [
      { ...frame, kind: 'probe-request', ssid: '' },
      { ...frame, kind: 'probe-request', ssid: null },
      { ...frame, kind: 'probe-response', da: '02:00:00:00:00:01' },
      { ...frame, kind: 'data', direction: 'to-ds', da: '02:00:00:00:00:09' },
      { ...frame, kind: 'data', direction: 'from-ds', sa: '02:00:00:00:00:09' },
    ];
    for (const kind of kinds) expect(parsed(frameBytes(kind))).toEqual(expectedRecord(kind));
  });

  it('writes plain 802.11 frames for link type 105', () => {
    expect(parsed(frameBytes(frame, { linktype: 105 }), 105)).toEqual(
      expectedRecord(frame, { linktype: 105 }),
    );
  });

  it('refuses an FCS without radiotap, which tshark would read as frame data', () => {
    expect(() => frameBytes(frame, { linktype: 105, fcs: true })).toThrow(TypeError);
  });

  it('refuses an SSID longer than an element holds, and an address that is not a MAC', () => {
    expect(() => frameBytes({ ...frame, ssid: 'x'.repeat(256) })).toThrow(TypeError);
    expect(() => frameBytes({ ...frame, sa: 'not a mac' })).toThrow(TypeError);
  });
});

describe('writers', () => {
  it('refuse pcapng timestamp resolutions too coarse to keep the millisecond', () => {
    expect(() => writePcapng([frame], { tsresol: [2] })).toThrow(RangeError);
    expect(() => writePcapng([frame], { tsresol: [0x80 | 10] })).toThrow(RangeError);
    expect(() => writePcapng([frame], { tsresol: [] })).toThrow(TypeError);
  });

  it('refuse a time a pcap file cannot hold', () => {
    expect(() => writePcap([{ ...frame, timeUs: -1n }])).toThrow(RangeError);
  });

  it('write the pcap magic in the chosen byte order and resolution', () => {
    expect(writePcap([]).subarray(0, 4).toString('hex')).toBe('d4c3b2a1');
    expect(writePcap([], { bigEndian: true, nanosecond: true }).subarray(0, 4).toString('hex')).toBe(
      'a1b23c4d',
    );
  });
});
