import { describe, expect, it } from 'vitest';
import { expectedRecord, type SyntheticFrame, syntheticFrames } from '../../src/capture/synthetic.js';

describe('syntheticFrames', () => {
  const frames = syntheticFrames({ seed: 42, devices: 50, frames: 5000 });

  it('gives the same frames for the same seed, and other frames for another', () => {
    expect(syntheticFrames({ seed: 42, devices: 50, frames: 5000 })).toEqual(frames);
    expect(syntheticFrames({ seed: 43, devices: 50, frames: 5000 })).not.toEqual(frames);
  });

  it('makes the requested number of frames, in time order, from startMs, with sub-millisecond parts', () => {
    const start = syntheticFrames({ seed: 1, devices: 3, frames: 100, startMs: 1_700_000_000_000 });
    expect(start).toHaveLength(100);
    expect((start[0] as SyntheticFrame).timeUs / 1000n).toBe(1_700_000_000_000n);
    for (let i = 1; i < start.length; i++) {
      expect((start[i] as SyntheticFrame).timeUs).toBeGreaterThan((start[i - 1] as SyntheticFrame).timeUs);
    }
    expect(frames.some((frame) => frame.timeUs % 1000n !== 0n)).toBe(true);
  });

  it('mixes every kind of frame', () => {
    const kinds = new Set(frames.map((frame) => frame.kind));
    expect([...kinds].sort()).toEqual(['beacon', 'data', 'probe-request', 'probe-response']);
  });

  it('mixes probe requests with a named SSID, a wildcard SSID and no SSID element', () => {
    const probes = frames.filter((frame) => frame.kind === 'probe-request');
    expect(probes.some((frame) => frame.ssid === '')).toBe(true);
    expect(probes.some((frame) => frame.ssid === null)).toBe(true);
    expect(probes.some((frame) => typeof frame.ssid === 'string' && frame.ssid.length > 0)).toBe(true);
  });

  it('includes SSIDs with spaces, accents, emoji, markup and bytes that are not UTF-8', () => {
    const texts = frames.map((frame) => frame.ssid).filter((ssid) => typeof ssid === 'string');
    expect(texts.some((ssid) => ssid.includes(' '))).toBe(true);
    expect(texts.some((ssid) => ssid.includes('é'))).toBe(true);
    expect(texts.some((ssid) => /\p{Extended_Pictographic}/u.test(ssid))).toBe(true);
    expect(texts.some((ssid) => ssid.includes('<') && ssid.includes('&'))).toBe(true);
    expect(frames.some((frame) => frame.ssid instanceof Uint8Array)).toBe(true);
  });

  it('leaves the antenna signal out of some frames, and varies the radiotap layout', () => {
    expect(frames.some((frame) => frame.signalDbm === null)).toBe(true);
    expect(new Set(frames.map((frame) => frame.radiotap)).size).toBe(5);
  });

  it('gives data frames a direction, and every address in lower-case colon form', () => {
    expect(new Set(frames.filter((f) => f.kind === 'data').map((f) => f.direction))).toEqual(
      new Set(['to-ds', 'from-ds']),
    );
    const macs = frames.flatMap((frame) => [frame.sa, frame.da, frame.bssid]);
    expect(macs.every((mac) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac))).toBe(true);
  });

  it('rejects fewer than one device or a negative number of frames', () => {
    expect(() => syntheticFrames({ seed: 1, devices: 0, frames: 1 })).toThrow(TypeError);
    expect(() => syntheticFrames({ seed: 1, devices: 1, frames: -1 })).toThrow(TypeError);
  });
});

describe('expectedRecord', () => {
  const probe: SyntheticFrame = {
    kind: 'probe-request',
    timeUs: 1587564340123999n,
    sa: 'A4:83:E7:4E:39:15',
    da: 'ff:ff:ff:ff:ff:ff',
    bssid: 'ff:ff:ff:ff:ff:ff',
    ssid: Uint8Array.of(0x43, 0x61, 0x66, 0xe9),
    signalDbm: -67,
  };

  it('gives the canonical record, in field order, with the time truncated to the millisecond', () => {
    expect(Object.entries(expectedRecord(probe))).toEqual([
      ['timestamp', '1587564340123'],
      ['wlan_fc_type_subtype', ['4']],
      ['wlan_radio_signal_dbm', ['-67']],
      ['wlan_sa', ['a4:83:e7:4e:39:15']],
      ['wlan_da', ['ff:ff:ff:ff:ff:ff']],
      ['wlan_bssid', ['ff:ff:ff:ff:ff:ff']],
      ['wlan_ssid', ['Caf\\xe9']],
    ]);
  });

  it('has no signal for plain 802.11 or a frame without one, and no SSID for data or a missing element', () => {
    expect(expectedRecord(probe, { linktype: 105 })).not.toHaveProperty('wlan_radio_signal_dbm');
    expect(expectedRecord({ ...probe, signalDbm: null })).not.toHaveProperty('wlan_radio_signal_dbm');
    expect(expectedRecord({ ...probe, ssid: null })).not.toHaveProperty('wlan_ssid');
    expect(expectedRecord({ ...probe, kind: 'data', direction: 'to-ds' })).toMatchObject({
      wlan_fc_type_subtype: ['32'],
    });
    expect(expectedRecord({ ...probe, kind: 'data' })).not.toHaveProperty('wlan_ssid');
  });
});
