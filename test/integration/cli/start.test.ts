import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../src/local/ports.js';
import { type Alert, ssidAlertSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { CliProcess, runCli } from '../../support/cli.js';
import { consumeRecords, firstMatchingRecord, testKafka, uniqueName } from '../../support/kafka.js';

const PHONE = 'a4:83:e7:4e:39:15';
const T0 = 1_587_564_340_123;

describe('probestream start', () => {
  const kafka = testKafka();
  const admin = kafka.admin();
  const stateDir = mkdtempSync(join(tmpdir(), 'probestream-start-'));
  const dir = mkdtempSync(join(tmpdir(), 'probestream-ek-'));
  let mongo: MongoClient;

  beforeAll(async () => {
    await admin.connect();
    mongo = new MongoClient(inject('mongodbUrl'));
    await mongo.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
    await mongo.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('names devices from MongoDB by CDC, alerts on a watched SSID, and stops cleanly on SIGTERM', async () => {
    // `start` uses the default topic names, so this test owns them (and the `ace` database) on this broker.
    await mongo
      .db('ace')
      .collection('user')
      .insertOne({ mac: PHONE.toUpperCase(), name: 'Kitchen iPad', oui: 'Apple' });
    const applicationId = uniqueName('start-app');
    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      MONGODB_URL: inject('mongodbUrl'),
      APPLICATION_ID: applicationId,
      STATE_DIR: stateDir,
      TOPIC_PARTITIONS: '2',
      COMMIT_INTERVAL_MS: '200',
    };
    const app = new CliProcess(['start', '--port', '18099'], env);
    try {
      await app.waitForOutput(/state REBALANCING -> RUNNING/);
      await app.waitForOutput(/CDC .*snapshot|snapshot/i);
      expect(app.stderr).toMatch(/created topic pcap with 2 partitions/);

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: 'ssid_alert_list',
        messages: [{ key: 'RNM0', value: ssidAlertSerde().serialize({ reason: 'watched in a test' }) }],
      });
      await producer.disconnect();
      // Give the table a moment to be read before the probe that must meet it.
      await new Promise((resolve) => setTimeout(resolve, 1500));

      const lines = [
        JSON.stringify(pcapValueOf({ mac: PHONE, ssid: 'RNM0', timestamp: T0, signalDbm: -50 })),
      ];
      const replayed = await runCli(
        ['replay', '-'],
        { ...env, PROBESTREAM_LOG: 'silent' },
        `${lines.join('\n')}\n`,
      );
      expect(replayed.code).toBe(0);

      const consumer = kafka.consumer({ groupId: uniqueName('alerts-reader') });
      await consumer.connect();
      await consumer.subscribe({ topic: 'alerts', fromBeginning: true });
      // Another test's bot writes to the default `alerts` topic too: this device's alert is the one to check.
      const alert = await firstMatchingRecord(consumer, ({ message }) => String(message.key) === PHONE);
      await consumer.disconnect();
      expect(JSON.parse(String(alert.message.value)) as Alert).toEqual({
        ts: '2020-04-22T14:05:40.123Z',
        mac: PHONE,
        ssid: 'RNM0',
        reason: 'watched in a test',
        deviceName: 'Kitchen iPad',
        // The first alert of its (MAC, SSID) in the 15-minute window start uses by default.
        suppressed: 0,
      });
      // Every record read: the 10-second progress line says so once.
      await app.waitForOutput(/\[probestream\] caught up: lag 0, \d+ records read/, 25_000);
    } finally {
      app.signal('SIGTERM');
      const code = await app.exited;
      if (process.env.SHOW_CLI) console.log(app.stderr);
      expect(app.stderr).toMatch(/stopping/);
      expect(code).toBe(0);
    }
  });

  it("with a handler set to 'fail', exits 1 naming the record, and runs on once `skip` names it", async () => {
    const applicationId = uniqueName('skip-app');
    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      APPLICATION_ID: applicationId,
      STATE_DIR: mkdtempSync(join(stateDir, 'skip-')),
      TOPIC_PARTITIONS: '2',
      COMMIT_INTERVAL_MS: '200',
      DESERIALIZATION_EXCEPTION_HANDLER: 'fail',
      API_PORT: '0',
    };
    const mac = '02:00:00:00:00:51';
    const producer = kafka.producer();
    await producer.connect();
    const [bad] = await producer.send({
      topic: 'pcap',
      messages: [{ value: '{not json', partition: 1 }],
    });
    await producer.send({
      topic: 'pcap',
      messages: [
        {
          value: JSON.stringify(pcapValueOf({ mac, ssid: 'x', timestamp: T0, signalDbm: -50 })),
          partition: 1,
        },
      ],
    });
    await producer.disconnect();
    const name = `pcap-1@${bad?.baseOffset}`;

    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await runCli(['start'], env);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(
        `the record that stopped it: ${name}; to pass over it (to the DLQ, unprocessed): probestream skip ${name} --application-id ${applicationId}`,
      );
    }
    const skipped = await runCli(['skip', name, '--application-id', applicationId], env);
    expect(skipped).toMatchObject({
      code: 0,
      stdout: `${name} will go to ${applicationId}-dlq unprocessed (marker in ${applicationId}-skips)\n`,
    });
    expect(await runCli(['skip', 'pcap-1@99999999', '--application-id', applicationId], env)).toMatchObject({
      code: 1,
    });

    // PROBESTREAM_DEBUG once made every start fail: its kafkajs log function was handed to the worker thread.
    const app = new CliProcess(['start', '--port', '18098'], { ...env, PROBESTREAM_DEBUG: '1' });
    try {
      await app.waitForOutput(/state REBALANCING -> RUNNING/);
      // The API may start listening a moment after the engine is RUNNING: a refused connection is a 0.
      const stats = async () =>
        (await fetch(`http://127.0.0.1:18098/devices/${mac}/stats`).catch(() => undefined))?.status ?? 0;
      const deadline = Date.now() + 30_000;
      while ((await stats()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await stats()).toBe(200);
      expect(app.stderr).toContain(`an operator asked to skip ${name}`);
    } finally {
      app.signal('SIGTERM');
      expect(await app.exited).toBe(0);
    }
    const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${applicationId}-dlq`, fromBeginning: true });
    const [dead] = await consumeRecords(consumer, 1);
    await consumer.disconnect();
    expect(String(dead?.message.value)).toBe('{not json');
    expect(String(dead?.message.headers?.['probestream.error.code'])).toBe('RECORD_SKIPPED');
  });

  it('waits for a broker that is not there yet, says so, and stops at once on SIGTERM', async () => {
    const port = await freePort();
    const env = { KAFKA_BROKERS: `127.0.0.1:${port}`, STATE_DIR: mkdtempSync(join(stateDir, 'wait-')) };
    const app = new CliProcess(['start', '--port', '0'], env);
    await app.waitForOutput(
      /waiting for Kafka to answer: .*ECONNREFUSED.* \(retrying for up to 29\d s more\)/,
    );
    const signalled = Date.now();
    app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(app.stderr).toMatch(/stopping/);
  });

  it('gives up after --startup-timeout seconds, saying why', async () => {
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(['start', '--port', '0', '--startup-timeout', '2'], {
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      STATE_DIR: mkdtempSync(join(stateDir, 'timeout-')),
    });
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.stderr).toMatch(/stopped after an error: .*ECONNREFUSED|Connection error/);
  });
});
