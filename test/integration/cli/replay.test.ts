import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectedRecord, syntheticFrames, writePcap, writePcapng } from '../../../src/capture/synthetic.js';
import { runCli } from '../../support/cli.js';
import { consumeRecords, testKafka, uniqueName } from '../../support/kafka.js';

describe('probestream replay', () => {
  const kafka = testKafka();
  const admin = kafka.admin();
  const dir = mkdtempSync(join(tmpdir(), 'probestream-replay-'));
  const frames = syntheticFrames({ seed: 7, devices: 20, frames: 300 });
  const capture = join(dir, 'capture.pcapng');
  writeFileSync(capture, writePcapng(frames));
  const probeRequests = frames.filter((f) => f.kind === 'probe-request').length;
  const env = { KAFKA_BROKERS: inject('kafkaBrokers'), PROBESTREAM_LOG: 'silent' };

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every frame of a pcapng file, creating the topic, and exits 0 once all are acknowledged', async () => {
    const topic = uniqueName('pcap');
    const result = await runCli(['replay', capture, '--topic', topic, '--partitions', '2'], env);

    expect(result.stderr).toBe(
      `read 300 frames (${probeRequests} probe requests) from ${capture} (pcapng); ` +
        `300 records produced to ${topic}, 300 acknowledged\n`,
    );
    expect(result.code).toBe(0);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((p) => Number(p.high)).reduce((a, b) => a + b)).toBe(300);

    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 300);
    await consumer.disconnect();
    const values = new Set(records.map((r) => String(r.message.value)));
    for (const frame of frames) expect(values.has(JSON.stringify(expectedRecord(frame)))).toBe(true);
  });

  it('reads tshark EK lines from stdin', async () => {
    const topic = uniqueName('pcap');
    const lines = [
      '{"index":{"_index":"packets-2020-04-22","_type":"doc"}}',
      '{"timestamp":"1587564340123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_ssid":["524e4d30"]}}',
      '{"timestamp":null}',
      '{"timestamp":"1587564340200","wlan_fc_type_subtype":["8"],"wlan_sa":["00:11:22:33:44:55"]}',
      'not json',
    ];
    const result = await runCli(['replay', '-', '--topic', topic], env, `${lines.join('\n')}\n`);
    expect(result.stderr).toBe(
      `read 2 frames (1 probe request) from - (ek); 2 records produced to ${topic}, 2 acknowledged\n` +
        '1 unreadable: line 5: not JSON (Unexpected token \'o\', "not json" is not valid JSON)\n',
    );
    expect(result.code).toBe(0);
  });

  it('refuses a file that is not a capture with exit code 1 and a clear message, producing nothing', async () => {
    const notCapture = join(dir, 'notes.txt');
    writeFileSync(notCapture, 'shopping list: eggs\n');
    const result = await runCli(['replay', notCapture, '--topic', uniqueName('pcap')], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `probestream replay: CAPTURE_UNREADABLE_FILE: ${notCapture} is not a pcap, pcapng or tshark EK-lines (JSONL) file: it starts with bytes 73686f7070696e67\n`,
    );
    const json = join(dir, 'package.json');
    writeFileSync(json, '{\n  "name": "not a capture",\n  "version": "1.0.0"\n}\n');
    const notEk = await runCli(['replay', json, '--topic', uniqueName('pcap')], env);
    expect(notEk.code).toBe(1);
    expect(notEk.stderr).toMatch(
      /probestream replay: CAPTURE_UNREADABLE_FILE: .*package\.json holds no frame that could be read\n$/,
    );
    const missing = await runCli(['replay', join(dir, 'nope.pcap')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^probestream replay: CAPTURE_UNREADABLE_FILE: cannot read .*nope\.pcap: ENOENT/,
    );
  });

  it('flushes the frames before a truncated end, says so and exits 1', async () => {
    const cut = join(dir, 'cut.pcapng');
    const bytes = writePcapng(frames.slice(0, 50));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const topic = uniqueName('pcap');
    const result = await runCli(['replay', cut, '--topic', topic], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^read 49 frames .* 49 records produced to .*, 49 acknowledged\n/);
    expect(result.stderr).toMatch(/probestream replay: CAPTURE_TRUNCATED: /);
  });

  it("replays tshark's full EK output flattened by the original jq (the issue's file) to the end", async () => {
    // Made by the real tshark and jq, as a user would: kilobytes of dissection per frame, 3 MB in all.
    const many = syntheticFrames({ seed: 13, devices: 40, frames: 400 });
    const pcap = join(dir, 'many.pcap');
    writeFileSync(pcap, writePcap(many));
    const ek = join(dir, 'full.jsonl');
    execFileSync('sh', [
      '-c',
      `tshark -r "$1" -T ek | jq -c '{timestamp: .timestamp} + .layers' > "$2"`,
      'sh',
      pcap,
      ek,
    ]);
    expect(readFileSync(ek).length).toBeGreaterThan(2_000_000);
    const probes = many.filter((f) => f.kind === 'probe-request').length;
    const topic = uniqueName('pcap');
    const result = await runCli(['replay', ek, '--topic', topic, '--partitions', '1'], env);
    expect(result.stderr).toBe(
      `read 400 frames (${probes} probe requests) from ${ek} (ek); 400 records produced to ${topic}, 400 acknowledged\n`,
    );
    expect(result.code).toBe(0);
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 400);
    await consumer.disconnect();
    const values = new Set(records.map((r) => String(r.message.value)));
    for (const frame of many) expect(values.has(JSON.stringify(expectedRecord(frame)))).toBe(true);
  });

  it('says on stderr when the frames it read hold no probe request, naming the -e fields for EK', async () => {
    const lines = Array.from(
      { length: 20 },
      (_, i) =>
        `{"timestamp":"${1587564340123 + i}","frame":{"frame_frame_len":"78"},"wlan":{"wlan_wlan_fc_type_subtype":"0x0020"}}`,
    );
    const topic = uniqueName('pcap');
    const result = await runCli(['replay', '-', '--topic', topic], env, `${lines.join('\n')}\n`);
    expect(result.stderr).toBe(
      `read 20 frames (0 probe requests) from - (ek); 20 records produced to ${topic}, 20 acknowledged\n` +
        'warning: none of the 20 frames is a probe request: nothing will be counted; EK lines must carry the ' +
        '802.11 subtype: tshark -T ek -e wlan.fc.type_subtype -e wlan_radio.signal_dbm -e wlan.sa -e wlan.da ' +
        '-e wlan.bssid -e wlan.ssid\n',
    );
    expect(result.code).toBe(0);
  });

  it('writes records of 200,000-character SSIDs, and skips with a warning a frame larger than the topic takes', async () => {
    const line = (i: number, ssidLength: number) =>
      JSON.stringify({
        timestamp: String(1587222267000 + i),
        wlan_fc_type_subtype: ['4'],
        wlan_sa: ['02:00:00:00:00:97'],
        wlan_ssid: ['x'.repeat(ssidLength)],
      });
    const lines = Array.from({ length: 12 }, (_, i) => line(i, i === 7 ? 2_000_000 : 200_000));
    const file = join(dir, 'long-ssids.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const topic = uniqueName('pcap');
    const result = await runCli(['replay', file, '--topic', topic, '--partitions', '1'], env);
    const bytes = (Buffer.byteLength(lines[7] as string) + 17 + 36).toLocaleString('en-US');
    expect(result.stderr).toBe(
      `skipped a frame from 02:00:00:00:00:97 at 1587222267007: ${bytes} bytes, more than topic ${topic} takes (1,048,508)\n` +
        `read 12 frames (12 probe requests) from ${file} (ek); 11 records produced to ${topic}, 11 acknowledged\n` +
        `1 frame skipped: larger than topic ${topic} takes (max.message.bytes 1,048,588)\n`,
    );
    expect(result.code).toBe(0);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((p) => Number(p.high))).toEqual([11]);
  });
});
