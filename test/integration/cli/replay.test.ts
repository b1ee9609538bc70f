import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectedRecord, syntheticFrames, writePcapng } from '../../../src/capture/synthetic.js';
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
});
