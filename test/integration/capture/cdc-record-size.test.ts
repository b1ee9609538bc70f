import type { Admin, Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeviceCdc } from '../../../src/capture/cdc.js';
import { cdcOffsetsTopic } from '../../../src/capture/cdc-offsets.js';
import { lineLogger } from '../../../src/logging/index.js';
import { deviceSerde } from '../../../src/probes/schemas.js';
import { PartitionReader } from '../../../src/topology/index.js';
import { testKafka, uniqueName } from '../../support/kafka.js';
import { eventually } from '../../support/streams.js';

/** The keys of the committed records of a one-partition topic. */
async function committedKeys(reader: PartitionReader, topic: string): Promise<string[]> {
  const keys: string[] = [];
  const end = await eventually(
    () => reader.endOffset(topic, 0),
    (offset) => offset > 0n,
    10_000,
  );
  await reader.read(topic, 0, await reader.startOffset(topic, 0), end, (records) => {
    for (const record of records) keys.push(record.key?.toString() ?? '');
  });
  return keys;
}

describe("the device CDC's writes within the topics' max.message.bytes", () => {
  let kafka: Kafka;
  let admin: Admin;
  let mongo: MongoClient;
  let reader: PartitionReader;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    reader = new PartitionReader(kafka, { isolation: 'read_committed' });
    await reader.connect();
    mongo = new MongoClient(inject('mongodbUrl'), { serverSelectionTimeoutMS: 10_000 });
    await mongo.connect();
  });

  afterAll(async () => {
    await mongo?.close();
    await reader?.disconnect();
    await admin?.disconnect();
  });

  it('writes a snapshot larger than one request in several, and skips a document too large for the topic', async () => {
    const database = uniqueName('ace');
    const applicationId = uniqueName('cdc');
    const devicesTopic = uniqueName('devices');
    const limited = (topic: string, bytes: number) => ({
      topic,
      numPartitions: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(bytes) },
      ],
    });
    // Small limits stand in for a controller with tens of thousands of devices: 60 offsets entries of about
    // 200 bytes pass 4 KiB, as 50,000 pass the default 1 MiB.
    await admin.createTopics({
      topics: [limited(devicesTopic, 1024), limited(cdcOffsetsTopic(applicationId), 4096)],
      waitForLeaders: true,
    });
    const users = Array.from({ length: 60 }, (_, i) => ({
      _id: `u${i}` as never,
      mac: `a4:83:e7:00:01:${i.toString(16).padStart(2, '0')}`,
      name: `phone ${i}`,
      oui: 'Apple',
      is_guest: false,
    }));
    const huge = { _id: 'huge' as never, mac: 'a4:83:e7:00:02:00', name: 'n'.repeat(2000), oui: 'Apple' };
    await mongo
      .db(database)
      .collection('user')
      .insertMany([...users, huge]);
    const lines: string[] = [];
    const cdc = new DeviceCdc({
      mongodbUrl: inject('mongodbUrl'),
      kafka,
      applicationId,
      database,
      devicesTopic,
      logger: lineLogger((line) => lines.push(line)),
    });
    try {
      await cdc.start();
      expect(cdc.stats()).toEqual({
        snapshotDocuments: 61,
        changes: 0,
        recordsWritten: 60,
        tombstones: 0,
        skipped: 1,
      });
    } finally {
      await cdc.close();
    }
    const record = deviceSerde().serialize({
      mac: 'a4:83:e7:00:02:00',
      source: 'user',
      name: 'n'.repeat(2000),
      ip: null,
      model: 'Apple',
      type: null,
      is_guest: false,
    });
    const bytes = 36 + 'a4:83:e7:00:02:00'.length + record.length;
    expect(lines).toContain(
      `device CDC: skipped ${database}.user:"huge": its device record is ${bytes} bytes, more than topic ${devicesTopic} takes (944)`,
    );
    // Written in the order of the documents' keys (u0, u1, u10…): compared as sets.
    expect((await committedKeys(reader, devicesTopic)).sort()).toEqual(users.map((user) => user.mac).sort());
    const entries = await committedKeys(reader, cdcOffsetsTopic(applicationId));
    expect(entries.filter((key) => key.startsWith('doc:')).sort()).toEqual(
      users.map((user) => `doc:${database}.user:"${user._id}"`).sort(),
    );
  });
});
