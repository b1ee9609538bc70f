import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type DeviceRecord, deviceSerde, TOPICS } from '../../../src/probes/schemas.js';
import { ensureProbeTopics } from '../../../src/probes/topics.js';
import { runCli } from '../../support/cli.js';
import { testKafka } from '../../support/kafka.js';

/** MACs of this run only: `devices` is the default, shared topic, which other tests write too. */
const prefix = `02:${Math.floor(Math.random() * 256)
  .toString(16)
  .padStart(2, '0')}:${Math.floor(Math.random() * 256)
  .toString(16)
  .padStart(2, '0')}:00:00`;
const mac = (n: number) => `${prefix}:${n.toString(16).padStart(2, '0')}`;

describe('probestream devices', () => {
  const dir = mkdtempSync(join(tmpdir(), 'probestream-devices-'));
  const env = { KAFKA_BROKERS: inject('kafkaBrokers'), TOPIC_PARTITIONS: '2', PROBESTREAM_LOG: 'silent' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports, sets, removes and lists names in the devices topic, in the CDC record shape', async () => {
    // A device the CDC named, with what the controller knows of it: a manual name must keep that.
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await ensureProbeTopics(admin, { partitions: 2 });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const fromCdc: DeviceRecord = {
      mac: mac(1),
      source: 'user',
      name: 'iPhone (old)',
      ip: '192.168.1.20',
      model: 'Apple',
      type: null,
      is_guest: false,
    };
    await producer.send({
      topic: TOPICS.devices,
      messages: [{ key: mac(1), value: deviceSerde().serialize(fromCdc) }],
    });
    await producer.disconnect();

    const csv = join(dir, 'names.csv');
    writeFileSync(
      csv,
      [
        'mac,name,guest',
        `${mac(1).toUpperCase()},"Alice's iPhone",no`,
        `${mac(2)},Guest laptop,yes`,
        'nope,Toaster,',
        `${mac(3)},"Hall \u001b[31mTV",`,
        `${mac(4)},Spare,`,
      ].join('\n'),
    );
    const imported = await runCli(['devices', 'import', csv], env);
    expect(imported.stdout).toBe(
      '3 rows taken, 2 refused\n' +
        '  row 4: "nope" is not a MAC address\n' +
        '  row 5: a device name cannot hold control characters (such as line breaks)\n',
    );
    expect(imported.code).toBe(1);

    const set = await runCli(['devices', 'set', mac(5), 'Zoë’s "TV"'], env);
    expect(set).toMatchObject({ code: 0, stdout: `${mac(5)} is now named "Zoë’s \\"TV\\""\n` });
    const removed = await runCli(['devices', 'rm', mac(4)], env);
    expect(removed).toMatchObject({ code: 0, stdout: `${mac(4)} removed from the devices table\n` });

    const listed = await runCli(['devices', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n').filter((line) => line.startsWith(prefix))).toEqual([
      `${mac(1)}  "Alice's iPhone"  manual`,
      `${mac(2)}  "Guest laptop"  manual guest`,
      `${mac(5)}  "Zoë’s \\"TV\\""  manual`,
    ]);

    const consumer = kafka.consumer({ groupId: `devices-check-${prefix}` });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.devices, fromBeginning: true });
    const records = new Map<string, DeviceRecord | null>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = String(message.key);
          if (!key.startsWith(prefix)) return;
          records.set(key, message.value === null ? null : deviceSerde().deserialize(message.value));
          // Read to the last write of each: mac(1)'s name replaced the CDC's, and mac(4) was removed.
          const named = records.get(mac(1))?.source === 'manual';
          if (records.size === 4 && records.get(mac(4)) === null && named) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(records.get(mac(1))).toEqual({ ...fromCdc, source: 'manual', name: "Alice's iPhone" });
    expect(records.get(mac(2))).toEqual({
      mac: mac(2),
      source: 'manual',
      name: 'Guest laptop',
      ip: null,
      model: null,
      type: null,
      is_guest: true,
    });
  });

  it('refuses a file it cannot read and an unknown action, with the reason', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${mac(9)},TV\n`);
    expect(await runCli(['devices', 'import', bad], env)).toMatchObject({
      code: 1,
      stderr: `probestream devices: ${bad}: the first line must name the columns: mac,name (and optionally guest)\n`,
    });
    const unknown = await runCli(['devices', 'rename', 'x'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'probestream devices: unknown action "rename": expected list | set <mac> <name> | rm <mac> | import <file.json|file.csv>\n',
    );
  });
});
