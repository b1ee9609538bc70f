import { describe, expect, it } from 'vitest';
import {
  decodeSsidBytes,
  frameSsid,
  frameSubtype,
  normalizeMac,
  PcapRecordError,
  readProbeRequest,
} from '../../src/probes/pcap.js';
import { pcapSerde } from '../../src/probes/serdes.js';
import { addProbe, emptyStats } from '../../src/probes/stats.js';

describe('normalizeMac', () => {
  it('answers lower case with colons for any case and separator', () => {
    expect(normalizeMac('A4:83:E7:4E:39:15')).toBe('a4:83:e7:4e:39:15');
    expect(normalizeMac('a4-83-e7-4e-39-15')).toBe('a4:83:e7:4e:39:15');
    expect(normalizeMac('a483e74e3915')).toBe('a4:83:e7:4e:39:15');
  });

  it('rejects what is not six hex pairs', () => {
    for (const text of [
      '',
      'a4:83:e7:4e:39',
      'a4:83:e7:4e:39:15:00',
      'g4:83:e7:4e:39:15',
      'a4:83:e7:4e:39:1',
    ]) {
      expect(normalizeMac(text)).toBeUndefined();
    }
  });
});

describe('frameSubtype', () => {
  it('reads decimal, hex and numeric type/subtype values', () => {
    expect(frameSubtype({ wlan_fc_type_subtype: ['4'] })).toBe(4);
    expect(frameSubtype({ wlan_fc_type_subtype: ['0x0004'] })).toBe(4);
    expect(frameSubtype({ wlan_fc_type_subtype: ['0x0028'] })).toBe(40);
    expect(frameSubtype({ wlan_fc_type_subtype: 8 })).toBe(8);
    expect(frameSubtype({ wlan_fc_type_subtype: ['probe'] })).toBeUndefined();
  });
});

describe('SSIDs', () => {
  it('decodes valid UTF-8 as text and escapes the bytes of invalid sequences', () => {
    expect(decodeSsidBytes(Buffer.from('Café 📡', 'utf8'))).toBe('Café 📡');
    expect(decodeSsidBytes(Buffer.from([0xff, 0x41, 0xc3, 0xa9, 0xc3]))).toBe('\\xffAé\\xc3');
    expect(decodeSsidBytes(Buffer.alloc(0))).toBe('');
  });

  it('drops a leading byte-order mark of a UTF-8 SSID, as a UTF-8 decoder does, and reads a Uint8Array view', () => {
    expect(decodeSsidBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
    const view = new Uint8Array([0x00, 0x52, 0x4e, 0x4d, 0x30, 0xff]).subarray(1, 5);
    expect(decodeSsidBytes(view)).toBe('RNM0');
  });

  it('reads hex SSIDs only in records written the tshark 3.6+ way', () => {
    expect(frameSsid({ wlan_fc_type_subtype: ['0x0004'], wlan_ssid: ['524e4d30'] })).toBe('RNM0');
    expect(frameSsid({ wlan_fc_type_subtype: ['4'], wlan_ssid: ['524e4d30'] })).toBe('524e4d30');
    expect(frameSsid({ wlan_fc_type_subtype: ['0x0004'], wlan_ssid: ['<MISSING>'] })).toBe('');
    expect(frameSsid({ wlan_fc_type_subtype: ['4'], wlan_ssid: [''] })).toBe('');
    expect(frameSsid({ wlan_fc_type_subtype: ['4'] })).toBeNull();
  });
});

describe('readProbeRequest', () => {
  it('reads a probe request, keeping the signal', () => {
    expect(
      readProbeRequest({
        timestamp: '1587564340123',
        wlan_fc_type_subtype: ['4'],
        wlan_radio_signal_dbm: ['-67'],
        wlan_sa: ['A4:83:E7:4E:39:15'],
        wlan_ssid: ['RNM0'],
        frame_len: ['120'],
      }),
    ).toEqual({ timestamp: 1587564340123, mac: 'a4:83:e7:4e:39:15', ssid: 'RNM0', signalDbm: -67 });
  });

  it('throws PcapRecordError for values that are not objects', () => {
    for (const value of [null, 42, 'text', [1]]) {
      expect(() => readProbeRequest(value)).toThrow(PcapRecordError);
    }
  });
});

describe('addProbe', () => {
  it('keeps SSIDs once each, null first, and never changes the stats it was given', () => {
    const probe = (ssid: string | null, timestamp: number) => ({
      mac: 'm',
      ssid,
      timestamp,
      signalDbm: null,
    });
    const one = addProbe(emptyStats(), probe('b', 20));
    const two = addProbe(one, probe(null, 10));
    const three = addProbe(two, probe('b', 30));
    const four = addProbe(three, probe('a', 25));
    expect(one).toEqual({ probeCount: 1, firstProbe: 20, lastProbe: 20, ssidsProbed: ['b'] });
    expect(three.ssidsProbed).toBe(two.ssidsProbed);
    expect(four).toEqual({ probeCount: 4, firstProbe: 10, lastProbe: 30, ssidsProbed: [null, 'a', 'b'] });
  });
});

describe('pcapSerde', () => {
  const record = '{"timestamp":"1587564340123","wlan_fc_type_subtype":["4"],"wlan_sa":["a4:83:e7:4e:39:15"]}';

  it('reads a record that starts with a UTF-8 byte-order mark, and refuses bytes that are not UTF-8', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(record)]);
    expect(pcapSerde().deserialize(withBom, 'pcap')?.mac).toBe('a4:83:e7:4e:39:15');
    const latin1 = Buffer.from(record.replace('4"]', '4"],"wlan_ssid":["caf\u00e9"]'), 'latin1');
    expect(() => pcapSerde().deserialize(latin1, 'pcap')).toThrow(
      /^Cannot read a pcap record from topic pcap: not UTF-8 JSON/,
    );
  });
});
