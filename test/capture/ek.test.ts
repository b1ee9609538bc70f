import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type EkInvalidLine, type EkReadOptions, parseEkLine, readEkLines } from '../../src/capture/ek.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { PcapValue } from '../../src/probes/pcap.js';

// Lines as tshark 4.0.17 writes them (`-T ek -e wlan.fc.type_subtype -e wlan_radio.signal_dbm -e wlan.sa
// -e wlan.da -e wlan.bssid -e wlan.ssid`), observed on Debian bookworm.
const INDEX = '{"index":{"_index":"packets-2020-04-22","_type":"doc"}}';
const RAW_PROBE =
  '{"timestamp":"1587564340123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_radio_signal_dbm":["-67"],' +
  '"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_da":["ff:ff:ff:ff:ff:ff"],"wlan_bssid":["ff:ff:ff:ff:ff:ff"],' +
  '"wlan_ssid":["524e4d30"]}}';
const RAW_WILDCARD =
  '{"timestamp":"1587564341123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_radio_signal_dbm":["-70"],' +
  '"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_da":["ff:ff:ff:ff:ff:ff"],"wlan_bssid":["ff:ff:ff:ff:ff:ff"],' +
  '"wlan_ssid":["<MISSING>"]}}';
const RAW_NO_SSID =
  '{"timestamp":"1587564342123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_radio_signal_dbm":["-71"],' +
  '"wlan_sa":["a4:83:e7:4e:39:16"],"wlan_da":["ff:ff:ff:ff:ff:ff"],"wlan_bssid":["ff:ff:ff:ff:ff:ff"]}}';
const RAW_DATA =
  '{"timestamp":"1587564346123","layers":{"wlan_fc_type_subtype":["0x0020"],"wlan_radio_signal_dbm":["-55"],' +
  '"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_da":["00:11:22:33:44:66"],"wlan_bssid":["00:11:22:33:44:55"]}}';

/** The same frames through the original pipeline, `jq -c '{timestamp: .timestamp} + .layers'`. */
function flat(raw: string): string {
  const { timestamp, layers } = JSON.parse(raw) as { timestamp: string; layers: object };
  return JSON.stringify({ timestamp, ...layers });
}

/** tshark 4.0.17's full EK output (no `-e`) for the first probe, trimmed to the layers that matter here. */
const FULL_PROBE = JSON.stringify({
  timestamp: '1587564340123',
  layers: {
    frame: {
      frame_frame_time_epoch: '1587564340.123456000',
      frame_frame_protocols: 'radiotap:wlan_radio:wlan',
    },
    radiotap: { radiotap_radiotap_present_flags: true, radiotap_radiotap_dbm_antsignal: '-67' },
    wlan_radio: { wlan_radio_wlan_radio_signal_dbm: '-67' },
    wlan: {
      wlan_wlan_fc_type_subtype: '0x0004',
      wlan_wlan_addr: ['ff:ff:ff:ff:ff:ff', 'a4:83:e7:4e:39:15', 'ff:ff:ff:ff:ff:ff'],
      wlan_wlan_da: 'ff:ff:ff:ff:ff:ff',
      wlan_wlan_sa: 'a4:83:e7:4e:39:15',
      wlan_wlan_sa_resolved: 'Apple_4e:39:15',
      wlan_wlan_bssid: 'ff:ff:ff:ff:ff:ff',
    },
    wlan_wlan_mgt: { wlan_wlan_tag_number: ['0', '1'], wlan_wlan_ssid: '52:4e:4d:30' },
  },
});

const CANONICAL_PROBE = {
  timestamp: '1587564340123',
  wlan_fc_type_subtype: ['4'],
  wlan_radio_signal_dbm: ['-67'],
  wlan_sa: ['a4:83:e7:4e:39:15'],
  wlan_da: ['ff:ff:ff:ff:ff:ff'],
  wlan_bssid: ['ff:ff:ff:ff:ff:ff'],
  wlan_ssid: ['RNM0'],
};

async function readAll(
  input: string | readonly (string | Uint8Array)[],
  options?: EkReadOptions,
): Promise<{ records: PcapValue[]; stats: ReturnType<typeof readEkLines>['stats'] }> {
  const reader = readEkLines(Readable.from(typeof input === 'string' ? [input] : input), options);
  const records: PcapValue[] = [];
  for await (const record of reader) records.push(record);
  return { records, stats: reader.stats };
}

function frame(line: string): PcapValue {
  const parsed = parseEkLine(line);
  if (parsed.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(parsed)}`);
  return parsed.value;
}

describe('readEkLines', () => {
  it('reads raw tshark -T ek -e output as canonical records and skips its index lines', async () => {
    const { records, stats } = await readAll(`${INDEX}\n${RAW_PROBE}\n${INDEX}\n${RAW_DATA}\n`);
    expect(records).toEqual([
      CANONICAL_PROBE,
      {
        timestamp: '1587564346123',
        wlan_fc_type_subtype: ['32'],
        wlan_radio_signal_dbm: ['-55'],
        wlan_sa: ['a4:83:e7:4e:39:15'],
        wlan_da: ['00:11:22:33:44:66'],
        wlan_bssid: ['00:11:22:33:44:55'],
      },
    ]);
    expect(stats).toEqual({ lines: 4, frames: 2, skipped: 2, blank: 0, invalid: 0, invalidLines: [] });
  });

  it('reads the original pipeline\'s flat output and skips its {"timestamp":null} lines', async () => {
    const lines = ['{"timestamp":null}', flat(RAW_PROBE), '{"timestamp":null}', flat(RAW_WILDCARD)];
    const { records, stats } = await readAll(`${lines.join('\n')}\n`);
    expect(records.map((record) => record.wlan_ssid)).toEqual([['RNM0'], ['']]);
    expect(records[0]).toEqual(CANONICAL_PROBE);
    expect(stats).toMatchObject({ lines: 4, frames: 2, skipped: 2, invalid: 0 });
  });

  it("reads tshark's full EK output (no -e) from its per-protocol objects", () => {
    expect(frame(FULL_PROBE)).toEqual(CANONICAL_PROBE);
  });

  it("reads tshark's full EK output flattened by the original jq, without its kilobytes of dissection", () => {
    const record = frame(flat(FULL_PROBE));
    expect(record).toEqual(CANONICAL_PROBE);
    expect(JSON.stringify(record).length).toBeLessThan(300);
  });

  it('reads the same frame identically in all four shapes', () => {
    expect(frame(RAW_PROBE)).toEqual(frame(flat(RAW_PROBE)));
    expect(frame(FULL_PROBE)).toEqual(frame(RAW_PROBE));
    expect(frame(flat(FULL_PROBE))).toEqual(frame(RAW_PROBE));
  });

  it('reads a flat -e record with an extra object field as flat, keeping that field', () => {
    const extra = JSON.stringify({ ...JSON.parse(flat(RAW_PROBE)), sensor: { site: 'lobby' } });
    expect(frame(extra)).toEqual({ ...CANONICAL_PROBE, sensor: { site: 'lobby' } });
  });

  it('refuses full EK output without an 802.11 layer, naming the -e fields to capture with', () => {
    const ethernet = {
      timestamp: '1587564340123',
      layers: { frame: { frame_frame_protocols: 'eth:ip' }, eth: { eth_eth_src: '00:11:22:33:44:55' } },
    };
    const reason =
      'full EK output without an 802.11 layer (no wlan_wlan_fc_type_subtype in frame, eth): capture 802.11 ' +
      'frames, or run tshark -T ek -e wlan.fc.type_subtype -e wlan_radio.signal_dbm -e wlan.sa -e wlan.da ' +
      '-e wlan.bssid -e wlan.ssid';
    expect(parseEkLine(JSON.stringify(ethernet))).toEqual({ kind: 'invalid', reason });
    expect(parseEkLine(flat(JSON.stringify(ethernet)))).toEqual({ kind: 'invalid', reason });
  });

  it('writes tshark 4\'s wildcard SSID (<MISSING>, or "" in full EK) as an empty string', () => {
    expect(frame(RAW_WILDCARD).wlan_ssid).toEqual(['']);
    const full = JSON.parse(FULL_PROBE);
    full.layers.wlan_wlan_mgt.wlan_wlan_ssid = '';
    expect(frame(JSON.stringify(full)).wlan_ssid).toEqual(['']);
  });

  it('leaves the SSID out when the frame carries no SSID element', () => {
    expect(frame(RAW_NO_SSID)).not.toHaveProperty('wlan_ssid');
    const full = JSON.parse(FULL_PROBE);
    delete full.layers.wlan_wlan_mgt.wlan_wlan_ssid;
    expect(frame(JSON.stringify(full))).not.toHaveProperty('wlan_ssid');
  });

  it("decodes tshark 4's hex SSIDs as UTF-8, and bytes that are not UTF-8 as \\xNN", () => {
    const withSsid = (hex: string) => RAW_PROBE.replace('524e4d30', hex);
    expect(frame(withSsid('436166c3a920e29895')).wlan_ssid).toEqual(['Café ☕']);
    expect(frame(withSsid('fffe6162225c')).wlan_ssid).toEqual(['\\xff\\xfeab"\\']);
    // Full EK separates the bytes with colons.
    expect(frame(FULL_PROBE.replace('52:4e:4d:30', 'ff:fe:61:62')).wlan_ssid).toEqual(['\\xff\\xfeab']);
    expect(frame(FULL_PROBE.replace('52:4e:4d:30', '41')).wlan_ssid).toEqual(['A']);
  });

  it("keeps older tshark's decimal subtype and text SSIDs, even text that looks like hex", () => {
    const old = (ssid: string) =>
      `{"timestamp":"1587564340123","wlan_fc_type_subtype":["4"],"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_ssid":[${JSON.stringify(ssid)}]}`;
    expect(frame(old('RNM0'))).toEqual({
      timestamp: '1587564340123',
      wlan_fc_type_subtype: ['4'],
      wlan_sa: ['a4:83:e7:4e:39:15'],
      wlan_ssid: ['RNM0'],
    });
    expect(frame(old('cafe')).wlan_ssid).toEqual(['cafe']);
    expect(frame(old('de:ad')).wlan_ssid).toEqual(['de:ad']);
    expect(frame(old('<MISSING>')).wlan_ssid).toEqual(['<MISSING>']);
    expect(frame(old('')).wlan_ssid).toEqual(['']);
  });

  it("reads older tshark's full EK output with decimal subtype and text SSID", () => {
    const old = JSON.parse(FULL_PROBE);
    old.layers.wlan.wlan_wlan_fc_type_subtype = '4';
    old.layers.wlan_wlan_mgt.wlan_wlan_ssid = 'RNM0';
    expect(frame(JSON.stringify(old))).toEqual(CANONICAL_PROBE);
  });

  it("reads an SSID longer than 802.11's 32 bytes as it is, for the topology to dead-letter with its reason", () => {
    const issue = `{"timestamp":"1587222267000","wlan_fc_type_subtype":["4"],"wlan_sa":["02:00:00:00:00:97"],"wlan_ssid":["${'x'.repeat(200_000)}"]}`;
    expect(frame(issue).wlan_ssid).toEqual(['x'.repeat(200_000)]);
    expect(frame(RAW_PROBE.replace('524e4d30', '41'.repeat(40))).wlan_ssid).toEqual(['A'.repeat(40)]);
  });

  it('writes an object field value as JSON text, even one whose toString is not a function', () => {
    const line = RAW_PROBE.replace('["-67"]', '[{"valueOf":1,"toString":1}]');
    expect(frame(line).wlan_radio_signal_dbm).toEqual(['{"valueOf":1,"toString":1}']);
  });

  it('decodes every SSID of a frame that carries more than one', () => {
    expect(frame(RAW_PROBE.replace('["524e4d30"]', '["524e4d30","<MISSING>"]')).wlan_ssid).toEqual([
      'RNM0',
      '',
    ]);
  });

  it('writes the known fields in contract order and keeps unknown fields after them, unchanged', () => {
    const line = JSON.stringify({
      frame_len: ['46'],
      wlan_ssid: ['524e4d30'],
      wlan_sa: ['a4:83:e7:4e:39:15'],
      timestamp: '1587564340123',
      wlan_fc_type_subtype: ['0x0004'],
      wlan_seq: ['1', '2'],
    });
    const value = frame(line);
    expect(Object.keys(value)).toEqual([
      'timestamp',
      'wlan_fc_type_subtype',
      'wlan_sa',
      'wlan_ssid',
      'frame_len',
      'wlan_seq',
    ]);
    expect(value.frame_len).toEqual(['46']);
    expect(value.wlan_seq).toEqual(['1', '2']);
  });

  it('accepts numbers and bare values from other producers and writes arrays of strings', () => {
    const value = frame(
      '{"timestamp":1587564340123,"wlan_fc_type_subtype":4,"wlan_radio_signal_dbm":-67,"wlan_sa":"a4:83:e7:4e:39:15"}',
    );
    expect(value).toEqual({
      timestamp: '1587564340123',
      wlan_fc_type_subtype: ['4'],
      wlan_radio_signal_dbm: ['-67'],
      wlan_sa: ['a4:83:e7:4e:39:15'],
    });
  });

  it('keeps a subtype it cannot read as tshark wrote it, for the topology to reject with a reason', () => {
    expect(frame('{"timestamp":"1","wlan_fc_type_subtype":["probe"]}').wlan_fc_type_subtype).toEqual([
      'probe',
    ]);
  });

  it('skips blank lines, reads CRLF line ends, a byte order mark and a last line without a newline', async () => {
    const { records, stats } = await readAll(
      `\uFEFF${INDEX}\r\n${RAW_PROBE}\r\n\r\n   \n${flat(RAW_WILDCARD)}`,
    );
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual(CANONICAL_PROBE);
    expect(stats).toEqual({ lines: 5, frames: 2, skipped: 1, blank: 2, invalid: 0, invalidLines: [] });
  });

  it('counts lines that cannot be read, with their line numbers and reasons, and reads on', async () => {
    const seen: EkInvalidLine[] = [];
    const input = [
      INDEX,
      '{"timestamp":"1587564340123","layers":{"wlan_fc_type_subtype":["0x0004"',
      '[1,2]',
      '42',
      RAW_PROBE,
      '{"timestamp":"1587564340123","layers":["wlan"]}',
      '{"wlan_fc_type_subtype":["4"]}',
      '{"timestamp":"yesterday","wlan_fc_type_subtype":["4"]}',
      '{"timestamp":null,"wlan_fc_type_subtype":["4"]}',
    ].join('\n');
    const { records, stats } = await readAll(input, { onInvalidLine: (line) => seen.push(line) });
    expect(records).toEqual([CANONICAL_PROBE]);
    expect(stats).toMatchObject({ lines: 9, frames: 1, skipped: 1, invalid: 7 });
    expect(stats.invalidLines.map((line) => line.line)).toEqual([2, 3, 4, 6, 7, 8, 9]);
    expect(stats.invalidLines[0]?.reason).toMatch(/^not JSON/);
    expect(stats.invalidLines[1]?.reason).toBe('not a JSON object');
    expect(stats.invalidLines[3]?.reason).toBe('"layers" is not a JSON object');
    expect(stats.invalidLines[4]?.reason).toBe('timestamp null is not epoch milliseconds');
    expect(stats.invalidLines[5]?.reason).toBe('timestamp "yesterday" is not epoch milliseconds');
    expect(seen).toEqual(stats.invalidLines);
  });

  it('keeps only the first maxInvalidReasons reasons but counts every invalid line', async () => {
    const { stats } = await readAll('x\n'.repeat(25), { maxInvalidReasons: 3 });
    expect(stats.invalid).toBe(25);
    expect(stats.invalidLines.map((line) => line.line)).toEqual([1, 2, 3]);
  });

  it('throws CAPTURE_INVALID_EK_LINE naming the source and line in strict mode', async () => {
    const reading = readAll(`${RAW_PROBE}\nnot json\n${RAW_PROBE}\n`, { strict: true, source: 'probes.ek' });
    await expect(reading).rejects.toBeInstanceOf(CaptureError);
    await expect(reading).rejects.toMatchObject({
      code: 'CAPTURE_INVALID_EK_LINE',
      message: expect.stringMatching(/^probes\.ek line 2: not JSON/),
    });
  });

  it('reassembles lines split across chunks, even inside a multi-byte character', async () => {
    const text = `${INDEX}\n${RAW_PROBE.replace('524e4d30', '436166c3a920e29895')}\n${flat(RAW_WILDCARD)}\n`;
    const bytes = Buffer.from(text.replace('"wlan_da"', '"note":["Café ☕ 🛰"],"wlan_da"'));
    const chunks = [...bytes].map((byte) => Uint8Array.of(byte));
    const { records, stats } = await readAll(chunks);
    expect(records.map((record) => record.wlan_ssid)).toEqual([['Café ☕'], ['']]);
    expect(records[0]?.note).toEqual(['Café ☕ 🛰']);
    expect(stats).toMatchObject({ lines: 3, frames: 2, skipped: 1 });
  });

  it('reads string chunks as well as bytes', async () => {
    const { records } = await readAll([RAW_PROBE.slice(0, 50), `${RAW_PROBE.slice(50)}\n`]);
    expect(records).toEqual([CANONICAL_PROBE]);
  });

  it('reads a line of several megabytes intact', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const line = RAW_PROBE.replace('"wlan_ssid"', `"payload":["${big}"],"wlan_ssid"`);
    const chunks = [];
    for (let i = 0; i < line.length; i += 65_536) chunks.push(Buffer.from(line.slice(i, i + 65_536)));
    const { records } = await readAll([...chunks, '\n', RAW_PROBE]);
    expect(records).toHaveLength(2);
    expect(records[0]?.payload).toEqual([big]);
  });

  it('counts a line longer than maxLineBytes as invalid without buffering it, and reads on', async () => {
    const long = Buffer.alloc(10_000, 0x78);
    const chunks = [Buffer.from(`${RAW_PROBE}\n`), long, long, Buffer.from(`\n${RAW_PROBE}\n`), long];
    const { records, stats } = await readAll(chunks, { maxLineBytes: 4096 });
    expect(records).toHaveLength(2);
    expect(stats).toMatchObject({ lines: 4, frames: 2, invalid: 2 });
    expect(stats.invalidLines).toEqual([
      { line: 2, reason: 'the line is longer than 4096 bytes' },
      { line: 4, reason: 'the line is longer than 4096 bytes' },
    ]);
  });

  it('destroys a Readable input when the reader stops early', async () => {
    const input = Readable.from(
      (function* () {
        for (;;) yield `${RAW_PROBE}\n`;
      })(),
    );
    for await (const _record of readEkLines(input)) break;
    expect(input.destroyed).toBe(true);
  });

  it('can be iterated only once', async () => {
    const reader = readEkLines(Readable.from([RAW_PROBE]));
    for await (const _record of reader) {
      // Drain.
    }
    expect(() => reader[Symbol.asyncIterator]()).toThrow(TypeError);
  });

  it('rejects bad options with TypeError', () => {
    expect(() => readEkLines(Readable.from([]), { maxLineBytes: 10 })).toThrow(TypeError);
    expect(() => readEkLines(Readable.from([]), { maxInvalidReasons: -1 })).toThrow(TypeError);
  });
});

describe('parseEkLine', () => {
  it('tells index lines from null-timestamp lines', () => {
    expect(parseEkLine(INDEX)).toEqual({ kind: 'skip', reason: 'index line' });
    expect(parseEkLine('{"index":{"_index":"packets-2024-01-01"}}')).toEqual({
      kind: 'skip',
      reason: 'index line',
    });
    expect(parseEkLine('{"timestamp":null}')).toEqual({ kind: 'skip', reason: 'null timestamp' });
  });

  it('reads a frame whose layers are empty (no 802.11 header) as a record with its time only', () => {
    expect(parseEkLine('{"timestamp":"1587564340123","layers":{}}')).toEqual({
      kind: 'frame',
      value: { timestamp: '1587564340123' },
    });
  });
});
