import { describe, expect, it } from 'vitest';
import { type FrameParseResult, parseFrame } from '../../src/capture/ieee80211.js';
import { FLAG_FCS_AT_END } from '../../src/capture/radiotap.js';
import type { PcapValue } from '../../src/probes/pcap.js';
import {
  A,
  B,
  BROADCAST,
  C,
  D,
  element,
  header,
  mac,
  probeRequest,
  RT,
  radiotap,
  simpleRadiotap,
} from './frame-bytes.js';

const TIME = '1587564340123';

function record(frame: Buffer, linktype = 127): PcapValue {
  const result = parseFrame(linktype, TIME, frame);
  if (!result.ok) throw new Error(`skipped: ${result.reason}`);
  return result.value;
}

const radio = (...parts: Buffer[]) => record(Buffer.concat([simpleRadiotap(-67), ...parts]));
const skipped = (frame: Buffer): FrameParseResult => parseFrame(127, TIME, frame);

describe('parseFrame', () => {
  it('gives a probe request as tshark would, fields in order, every value an array of one string', () => {
    const value = radio(probeRequest('a4:83:e7:4e:39:15', [element(0, 'RNM0'), element(1, [0x82, 0x84])]));
    expect(Object.entries(value)).toEqual([
      ['timestamp', TIME],
      ['wlan_fc_type_subtype', ['4']],
      ['wlan_radio_signal_dbm', ['-67']],
      ['wlan_sa', ['a4:83:e7:4e:39:15']],
      ['wlan_da', [BROADCAST]],
      ['wlan_bssid', [BROADCAST]],
      ['wlan_ssid', ['RNM0']],
    ]);
  });

  it('gives a wildcard probe an empty SSID, and a probe with no SSID element no wlan_ssid', () => {
    expect(radio(probeRequest(B, [element(0, '')])).wlan_ssid).toEqual(['']);
    expect(radio(probeRequest(B, [element(1, [0x82])]))).not.toHaveProperty('wlan_ssid');
  });

  it('takes the first SSID element only, wherever it is among the elements', () => {
    expect(
      radio(probeRequest(B, [element(1, [2]), element(0, 'first'), element(0, 'second')])).wlan_ssid,
    ).toEqual(['first']);
  });

  it('gives no SSID when its element runs past the end of the frame', () => {
    expect(radio(probeRequest(B, [Buffer.from([0, 10, 0x41, 0x42])]))).not.toHaveProperty('wlan_ssid');
  });

  it('decodes UTF-8 SSIDs and escapes bytes that are not UTF-8', () => {
    expect(radio(probeRequest(B, [element(0, 'Café 🦄 <b>x</b>&')])).wlan_ssid).toEqual([
      'Café 🦄 <b>x</b>&',
    ]);
    expect(radio(probeRequest(B, [element(0, [0x43, 0x61, 0x66, 0xe9])])).wlan_ssid).toEqual(['Caf\\xe9']);
  });

  it('reads the SSID after the fixed fields of beacons, probe responses and (re)association requests', () => {
    const body = (fixed: number, ssid: string) => [Buffer.alloc(fixed), element(0, ssid)];
    expect(radio(header(0x80, 0, [BROADCAST, A, A]), ...body(12, 'beacon'))).toMatchObject({
      wlan_fc_type_subtype: ['8'],
      wlan_ssid: ['beacon'],
    });
    expect(radio(header(0x50, 0, [B, A, A]), ...body(12, 'response')).wlan_ssid).toEqual(['response']);
    expect(radio(header(0x00, 0, [A, B, A]), ...body(4, 'assoc')).wlan_ssid).toEqual(['assoc']);
    expect(radio(header(0x20, 0, [A, B, A]), ...body(10, 'reassoc')).wlan_ssid).toEqual(['reassoc']);
  });

  it('gives a beacon too short for its fixed fields its addresses but no SSID', () => {
    const value = radio(header(0x80, 0, [BROADCAST, A, A]), Buffer.alloc(6));
    expect(value).toMatchObject({ wlan_sa: [A], wlan_bssid: [A] });
    expect(value).not.toHaveProperty('wlan_ssid');
  });

  it('skips the HT Control field of a management frame with the Order bit', () => {
    expect(radio(probeRequest(B, [Buffer.alloc(4), element(0, 'htc')], 0x80)).wlan_ssid).toEqual(['htc']);
  });

  it('reads no element of a protected frame or of a fragment that more fragments follow', () => {
    expect(radio(probeRequest(B, [element(0, 'x')], 0x40))).not.toHaveProperty('wlan_ssid');
    expect(radio(probeRequest(B, [element(0, 'x')], 0x04))).not.toHaveProperty('wlan_ssid');
  });

  it('names management addresses addr1 = DA, addr2 = SA, addr3 = BSSID whatever the DS bits', () => {
    expect(radio(header(0x40, 3, [A, B, C]), element(0, 'x'))).toMatchObject({
      wlan_sa: [B],
      wlan_da: [A],
      wlan_bssid: [C],
    });
  });

  it.each([
    ['neither To nor From DS', 0, { wlan_sa: [B], wlan_da: [A], wlan_bssid: [C] }],
    ['To DS', 1, { wlan_sa: [B], wlan_da: [C], wlan_bssid: [A] }],
    ['From DS', 2, { wlan_sa: [C], wlan_da: [A], wlan_bssid: [B] }],
  ])('names the addresses of a data frame sent %s as tshark does', (_, ds, expected) => {
    const value = radio(header(0x08, ds, [A, B, C]), Buffer.alloc(8));
    expect(value).toMatchObject({ wlan_fc_type_subtype: ['32'], ...expected });
  });

  it('gives a 4-address (WDS) data frame SA = addr4, DA = addr3 and no BSSID', () => {
    const value = radio(header(0x88, 3, [A, B, C, D]), Buffer.alloc(10));
    expect(value).toMatchObject({ wlan_fc_type_subtype: ['40'], wlan_sa: [D], wlan_da: [C] });
    expect(value).not.toHaveProperty('wlan_bssid');
  });

  it('lists the header and subframe addresses of an A-MSDU as tshark does', () => {
    const subframe = (da: string, sa: string) =>
      Buffer.concat([mac(da), mac(sa), Buffer.from([0, 8, 0xaa, 0xaa, 3, 0, 0, 0, 8, 0, 0, 0])]);
    const qosAmsdu = Buffer.from([0x80, 0]);
    const e = '02:00:00:00:00:0e';
    const f = '02:00:00:00:00:0f';
    expect(radio(header(0x88, 1, [A, B, C]), qosAmsdu, subframe(e, f))).toMatchObject({
      wlan_sa: [B, f],
      wlan_da: [e],
      wlan_bssid: [A],
    });
    const encrypted = radio(header(0x88, 0x42, [A, B, C]), qosAmsdu, Buffer.alloc(20, 0x33));
    expect(encrypted).toMatchObject({ wlan_da: [A], wlan_bssid: [B] });
    expect(encrypted).not.toHaveProperty('wlan_sa');
  });

  it('gives control frames only their type/subtype, and the BSSID of PS-Poll and CF-End', () => {
    const ack = radio(header(0xd4, 0, [A]));
    expect(Object.keys(ack)).toEqual(['timestamp', 'wlan_fc_type_subtype', 'wlan_radio_signal_dbm']);
    expect(ack.wlan_fc_type_subtype).toEqual(['29']);
    expect(radio(header(0xb4, 0, [A, B]))).not.toHaveProperty('wlan_sa');
    expect(radio(header(0xa4, 0, [A, B])).wlan_bssid).toEqual([A]);
    expect(radio(header(0xe4, 0, [A, B])).wlan_bssid).toEqual([B]);
  });

  it("writes a Control Frame Extension's type/subtype with its extension, as tshark does", () => {
    expect(radio(Buffer.from([0x64, 0x02, 0, 0]), mac(A), mac(B)).wlan_fc_type_subtype).toEqual(['354']);
  });

  it('does not read the FCS as elements when radiotap flags it', () => {
    // Without the flag, the last four bytes would be an SSID element "AB".
    const frame = Buffer.concat([
      simpleRadiotap(-48, FLAG_FCS_AT_END),
      probeRequest(B, [element(1, [0x82])]),
      Buffer.from([0, 2, 0x41, 0x42]),
    ]);
    expect(record(frame)).not.toHaveProperty('wlan_ssid');
    expect(record(Buffer.concat([simpleRadiotap(-48), frame.subarray(10)])).wlan_ssid).toEqual(['AB']);
  });

  it('reads plain 802.11 (link type 105) with no signal', () => {
    const value = record(probeRequest(B, [element(0, 'x')]), 105);
    expect(value).not.toHaveProperty('wlan_radio_signal_dbm');
    expect(value).toMatchObject({ wlan_sa: [B], wlan_ssid: ['x'] });
  });

  it('omits the signal when the radiotap header has none', () => {
    expect(record(Buffer.concat([simpleRadiotap(null), probeRequest(B, [])]))).not.toHaveProperty(
      'wlan_radio_signal_dbm',
    );
  });

  it('skips a frame whose radiotap header is shorter than 8 bytes or longer than the frame', () => {
    expect(skipped(Buffer.from([0, 0, 8, 0]))).toEqual({ ok: false, reason: 'radiotap-malformed' });
    const tooLong = simpleRadiotap(-50);
    tooLong.writeUInt16LE(200, 2);
    expect(skipped(Buffer.concat([tooLong, probeRequest(B, [])]))).toEqual({
      ok: false,
      reason: 'radiotap-malformed',
    });
  });

  it('skips a frame shorter than its MAC header', () => {
    const cut = probeRequest(B, []).subarray(0, 20);
    expect(skipped(Buffer.concat([simpleRadiotap(-50), cut]))).toEqual({
      ok: false,
      reason: 'header-too-short',
    });
    expect(skipped(simpleRadiotap(-50))).toEqual({ ok: false, reason: 'header-too-short' });
    const qosWithoutQosControl = header(0x88, 1, [A, B, C]);
    expect(skipped(Buffer.concat([simpleRadiotap(-50), qosWithoutQosControl]))).toEqual({
      ok: false,
      reason: 'header-too-short',
    });
  });

  it('skips a frame of another 802.11 protocol version, which tshark does not dissect', () => {
    const pv1 = Buffer.concat([simpleRadiotap(-50), header(0x41, 0, [A, B, C])]);
    expect(skipped(pv1)).toEqual({ ok: false, reason: 'unknown-protocol-version' });
  });

  it('skips a radiotap header that says no frame follows', () => {
    const ndp = Buffer.concat([radiotap([RT.signal | RT.zeroLengthPsdu], [0xc0, 2]), probeRequest(B, [])]);
    expect(skipped(ndp)).toEqual({ ok: false, reason: 'no-psdu' });
  });

  it('reads the frame between start and end of a larger buffer', () => {
    const frame = Buffer.concat([simpleRadiotap(-50), probeRequest(B, [element(0, 'mid')])]);
    const padded = Buffer.concat([Buffer.alloc(7, 0xee), frame, Buffer.alloc(5, 0xee)]);
    const result = parseFrame(127, TIME, padded, 7, 7 + frame.length);
    expect(result).toEqual({ ok: true, value: record(frame) });
  });

  it('throws a TypeError for a link type that is not 802.11', () => {
    expect(() => parseFrame(1, TIME, Buffer.alloc(40))).toThrow(TypeError);
  });
});
