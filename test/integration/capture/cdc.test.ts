import type { Admin, Kafka } from 'kafkajs';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeviceCdc, type DeviceCdcOptions } from '../../../src/capture/cdc.js';
import { CaptureError } from '../../../src/capture/errors.js';
import { lineLogger } from '../../../src/logging/index.js';
import { type DeviceRecord, deviceSerde } from '../../../src/probes/schemas.js';
import { PartitionReader } from '../../../src/topology/index.js';
import { testKafka, uniqueName } from '../../support/kafka.js';
import { eventually } from '../../support/streams.js';

type Entry = readonly [key: string, value: DeviceRecord | null];

const serde = deviceSerde();

function user(mac: string, name: string | null, model: string | null, isGuest = false): DeviceRecord {
  return { mac, source: 'user', name, ip: null, model, type: null, is_guest: isGuest };
}

function gear(mac: string, fields: Partial<DeviceRecord>): DeviceRecord {
  return { mac, source: 'device', name: null, ip: null, model: null, type: null, is_guest: false, ...fields };
}

const put = (record: DeviceRecord): Entry => [record.mac, record];
const tombstone = (mac: string): Entry => [mac, null];

describe('DeviceCdc against Kafka and the Mongo-wire server', () => {
  let kafka: Kafka;
  let admin: Admin;
  let mongo: MongoClient;
  let reader: PartitionReader;
  let uncommitted: PartitionReader;
  const running: DeviceCdc[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    reader = new PartitionReader(kafka, { isolation: 'read_committed' });
    await reader.connect();
    uncommitted = new PartitionReader(kafka, { isolation: 'read_uncommitted' });
    await uncommitted.connect();
    mongo = new MongoClient(inject('mongodbUrl'), { serverSelectionTimeoutMS: 10_000 });
    await mongo.connect();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((cdc) => cdc.close()));
  });

  afterAll(async () => {
    await mongo?.close();
    await reader?.disconnect();
    await uncommitted?.disconnect();
    await admin?.disconnect();
  });

  /** A database, application id and devices topic of the test's own, and a CDC factory over them. */
  async function scenario() {
    const database = uniqueName('ace');
    const applicationId = uniqueName('cdc');
    const devicesTopic = uniqueName('devices');
    // One partition gives one order to compare. Not compacted, so that the whole history stays readable.
    await admin.createTopics({ topics: [{ topic: devicesTopic, numPartitions: 1 }], waitForLeaders: true });
    const lines: string[] = [];
    const db: Db = mongo.db(database);
    const cdc = (options: Partial<DeviceCdcOptions> = {}) => {
      const instance = new DeviceCdc({
        mongodbUrl: inject('mongodbUrl'),
        kafka,
        applicationId,
        database,
        devicesTopic,
        logger: lineLogger((line) => lines.push(line)),
        ...options,
      });
      running.push(instance);
      return instance;
    };
    /**
     * Every committed record of the devices topic, in order, once no transaction is in flight: a commit
     * returns before its markers reach the partition, so the last stable offset may trail it for a moment.
     */
    const devices = async (): Promise<Entry[]> => {
      const entries: Entry[] = [];
      const ends = async () => [
        await reader.endOffset(devicesTopic, 0),
        await uncommitted.endOffset(devicesTopic, 0),
      ];
      const [end = 0n] = await eventually(ends, ([stable, high]) => stable === high, 10_000);
      await reader.read(devicesTopic, 0, await reader.startOffset(devicesTopic, 0), end, (records) => {
        for (const record of records) {
          entries.push([
            record.key?.toString() ?? '',
            record.value === null ? null : serde.deserialize(record.value),
          ]);
        }
      });
      return entries;
    };
    const devicesAfter = (count: number) => eventually(devices, (entries) => entries.length >= count, 15_000);
    return { database, applicationId, devicesTopic, db, lines, cdc, devices, devicesAfter };
  }

  it('writes a snapshot of both collections: gear field for field, clients named by the rules, Ubiquiti left out', async () => {
    const { db, cdc, devices, lines } = await scenario();
    await db.collection('device').insertMany([
      {
        _id: 'gw' as never,
        mac: 'F0:9F:C2:00:00:01',
        name: 'gateway',
        ip: '192.168.1.1',
        model: 'UXG',
        type: 'ugw',
      },
      { _id: 'ap' as never, mac: 'f0-9f-c2-00-00-02', model: 'U7PG2', type: 'uap' },
    ]);
    await db.collection('user').insertMany([
      {
        _id: 'u1' as never,
        mac: 'A4:83:E7:00:00:01',
        name: 'Robin',
        hostname: 'iPhone',
        oui: 'Apple',
        is_guest: false,
      },
      {
        _id: 'u2' as never,
        mac: 'a4:83:e7:00:00:02',
        hostname: 'android-1',
        oui: 'Samsung',
        is_guest: false,
      },
      { _id: 'u3' as never, mac: 'a4:83:e7:00:00:03', oui: 'Intel', is_guest: true },
      { _id: 'u4' as never, mac: 'a4:83:e7:00:00:04', oui: 'Intel', is_guest: false, name: '' },
      { _id: 'u5' as never, mac: 'f0:9f:c2:00:00:02', oui: 'Ubiquiti', name: 'the AP as a client' },
      { _id: 'u6' as never, mac: 'not-a-mac', oui: 'Apple', name: 'broken' },
    ]);

    const instance = cdc();
    await instance.start();

    expect(instance.mode).toBe('change-streams');
    // Each collection in the order of its documents' keys; gear before clients.
    expect(await devices()).toEqual([
      put(gear('f0:9f:c2:00:00:02', { model: 'U7PG2', type: 'uap' })),
      put(gear('f0:9f:c2:00:00:01', { name: 'gateway', ip: '192.168.1.1', model: 'UXG', type: 'ugw' })),
      put(user('a4:83:e7:00:00:01', 'Robin (iPhone)', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'android-1', 'Samsung')),
      put(user('a4:83:e7:00:00:03', 'guest_Intel', 'Intel', true)),
      put(user('a4:83:e7:00:00:04', 'nonguest_Intel', 'Intel')),
    ]);
    expect(instance.stats()).toEqual({
      snapshotDocuments: 8,
      changes: 0,
      recordsWritten: 6,
      tombstones: 0,
      skipped: 1,
    });
    expect(
      lines.some((line) => line.includes('"u6"') && line.includes('"not-a-mac" is not a MAC address')),
    ).toBe(true);
  });

  it('follows inserts, updates (from broken update events), MAC changes and deletes while running', async () => {
    const { db, cdc, devices, devicesAfter } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    const gearDocs = db.collection<{ _id: string; [field: string]: unknown }>('device');
    await gearDocs.insertOne({ _id: 'ap', mac: 'f0:9f:c2:00:00:02', model: 'U7PG2', type: 'uap' });
    await users.insertOne({
      _id: 'u1',
      mac: 'a4:83:e7:00:00:01',
      name: 'Robin',
      oui: 'Apple',
      is_guest: false,
    });
    const instance = cdc();
    await instance.start();
    const snapshot = [
      put(gear('f0:9f:c2:00:00:02', { model: 'U7PG2', type: 'uap' })),
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
    ];
    expect(await devices()).toEqual(snapshot);

    await users.insertOne({
      _id: 'u2',
      mac: 'a4:83:e7:00:00:02',
      hostname: 'laptop',
      oui: 'Dell',
      is_guest: true,
    });
    await devicesAfter(3);
    await users.updateOne({ _id: 'u1' }, { $set: { hostname: 'iPhone' } });
    await devicesAfter(4);
    await gearDocs.updateOne({ _id: 'ap' }, { $set: { name: 'hall AP' } });
    await devicesAfter(5);
    await users.updateOne({ _id: 'u2' }, { $set: { mac: 'A4:83:E7:00:00:22' } });
    await devicesAfter(7);
    await users.deleteOne({ _id: 'u1' });
    await devicesAfter(8);
    await users.insertOne({
      _id: 'u3',
      mac: 'f0:9f:c2:00:00:02',
      oui: 'Ubiquiti',
      name: 'the AP as a client',
    });
    await users.insertOne({ _id: 'u4', mac: 'a4:83:e7:00:00:04', oui: 'Intel', is_guest: false });
    await devicesAfter(9);

    expect(await devices()).toEqual([
      ...snapshot,
      put(user('a4:83:e7:00:00:02', 'laptop', 'Dell', true)),
      put(user('a4:83:e7:00:00:01', 'Robin (iPhone)', 'Apple')),
      put(gear('f0:9f:c2:00:00:02', { name: 'hall AP', model: 'U7PG2', type: 'uap' })),
      tombstone('a4:83:e7:00:00:02'),
      put(user('a4:83:e7:00:00:22', 'laptop', 'Dell', true)),
      tombstone('a4:83:e7:00:00:01'),
      put(user('a4:83:e7:00:00:04', 'nonguest_Intel', 'Intel')),
    ]);
    expect(instance.stats()).toMatchObject({ changes: 7, recordsWritten: 7, tombstones: 2, skipped: 0 });
  });

  it('resumes after a restart from the tokens in Kafka: every change made while down once, none repeated', async () => {
    const { db, cdc, devices, devicesAfter, lines } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    const gearDocs = db.collection<{ _id: string; [field: string]: unknown }>('device');
    await gearDocs.insertOne({ _id: 'gw', mac: 'f0:9f:c2:00:00:01', name: 'gateway', model: 'UXG' });
    await users.insertMany([
      { _id: 'u1', mac: 'a4:83:e7:00:00:01', name: 'Robin', oui: 'Apple', is_guest: false },
      { _id: 'u2', mac: 'a4:83:e7:00:00:02', hostname: 'laptop', oui: 'Dell', is_guest: false },
    ]);
    const first = cdc();
    await first.start();
    // Changes while running give both streams a resume token to store.
    await users.insertOne({ _id: 'u3', mac: 'a4:83:e7:00:00:03', oui: 'Intel', is_guest: true });
    await devicesAfter(4);
    await gearDocs.updateOne({ _id: 'gw' }, { $set: { ip: '192.168.1.1' } });
    await devicesAfter(5);
    const beforeStop = [
      put(gear('f0:9f:c2:00:00:01', { name: 'gateway', model: 'UXG' })),
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'laptop', 'Dell')),
      put(user('a4:83:e7:00:00:03', 'guest_Intel', 'Intel', true)),
      put(gear('f0:9f:c2:00:00:01', { name: 'gateway', ip: '192.168.1.1', model: 'UXG' })),
    ];
    expect(await devices()).toEqual(beforeStop);
    await first.close();

    await gearDocs.insertOne({ _id: 'ap', mac: 'f0:9f:c2:00:00:02', model: 'U7PG2' });
    await users.insertOne({
      _id: 'u4',
      mac: 'a4:83:e7:00:00:04',
      hostname: 'tv',
      oui: 'LG',
      is_guest: false,
    });
    await users.updateOne({ _id: 'u1' }, { $set: { hostname: 'iPhone' } });
    await users.deleteOne({ _id: 'u2' });

    lines.length = 0;
    const second = cdc();
    await second.start();
    const whileDown = [
      put(gear('f0:9f:c2:00:00:02', { model: 'U7PG2' })),
      put(user('a4:83:e7:00:00:01', 'Robin (iPhone)', 'Apple')),
      tombstone('a4:83:e7:00:00:02'),
      put(user('a4:83:e7:00:00:04', 'tv', 'LG')),
    ];
    expect(await devices()).toEqual([...beforeStop, ...whileDown]);
    for (const collection of ['device', 'user']) {
      expect(lines).toContainEqual(
        expect.stringContaining(`resuming the ${db.databaseName}.${collection} change`),
      );
    }

    // It goes on following, and a third start with nothing changed writes nothing at all.
    await users.deleteOne({ _id: 'u3' });
    await devicesAfter(10);
    await second.close();
    const third = cdc();
    await third.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await third.close();
    expect(third.stats()).toMatchObject({ changes: 0, recordsWritten: 0, tombstones: 0 });
    expect(await devices()).toEqual([...beforeStop, ...whileDown, tombstone('a4:83:e7:00:00:03')]);
  });

  it('restarts without a token (no change was ever seen) by a snapshot diff against what was written', async () => {
    const { db, cdc, devices } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    await users.insertMany([
      { _id: 'u1', mac: 'a4:83:e7:00:00:01', name: 'Robin', oui: 'Apple' },
      { _id: 'u2', mac: 'a4:83:e7:00:00:02', name: 'Sam', oui: 'Apple' },
    ]);
    const first = cdc();
    await first.start();
    await first.close();
    await users.updateOne({ _id: 'u2' }, { $set: { name: 'Sam B' } });
    await users.insertOne({ _id: 'u3', mac: 'a4:83:e7:00:00:03', name: 'Kim', oui: 'Apple' });
    await users.deleteOne({ _id: 'u1' });

    const second = cdc();
    await second.start();
    expect(await devices()).toEqual([
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'Sam', 'Apple')),
      tombstone('a4:83:e7:00:00:01'),
      put(user('a4:83:e7:00:00:02', 'Sam B', 'Apple')),
      put(user('a4:83:e7:00:00:03', 'Kim', 'Apple')),
    ]);
  });

  it('falls back to snapshot diffing without change streams, says so, and sees inserts and deletes', async () => {
    const { db, cdc, devices, devicesAfter, lines } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    await users.insertOne({ _id: 'u1', mac: 'a4:83:e7:00:00:01', name: 'Robin', oui: 'Apple' });
    const instance = cdc({ changeStreams: false, pollIntervalMs: 300 });
    await instance.start();
    expect(instance.mode).toBe('snapshot-diff');
    expect(lines.filter((line) => line.includes('falling back to snapshot diffing'))).toHaveLength(1);
    expect(await devices()).toEqual([put(user('a4:83:e7:00:00:01', 'Robin', 'Apple'))]);

    await users.insertOne({
      _id: 'u2',
      mac: 'a4:83:e7:00:00:02',
      hostname: 'laptop',
      oui: 'Dell',
      is_guest: true,
    });
    await devicesAfter(2);
    await users.deleteOne({ _id: 'u1' });
    await devicesAfter(3);
    expect(await devices()).toEqual([
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'laptop', 'Dell', true)),
      tombstone('a4:83:e7:00:00:01'),
    ]);
    expect(lines.filter((line) => line.includes('falling back'))).toHaveLength(1);
  });

  it('reads a dropped collection again: its records become tombstones, and it is followed once recreated', async () => {
    const { db, cdc, devices, devicesAfter } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    await users.insertMany([
      { _id: 'u1', mac: 'a4:83:e7:00:00:01', name: 'Robin', oui: 'Apple' },
      { _id: 'u2', mac: 'a4:83:e7:00:00:02', name: 'Sam', oui: 'Apple' },
    ]);
    const instance = cdc();
    await instance.start();
    await users.drop();
    await devicesAfter(4);
    await users.insertOne({ _id: 'u3', mac: 'a4:83:e7:00:00:03', name: 'Kim', oui: 'Apple' });
    await devicesAfter(5);
    expect(await devices()).toEqual([
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'Sam', 'Apple')),
      tombstone('a4:83:e7:00:00:01'),
      tombstone('a4:83:e7:00:00:02'),
      put(user('a4:83:e7:00:00:03', 'Kim', 'Apple')),
    ]);
  });

  it('fences an older instance of the same application id: a change is written once, the older one stops', async () => {
    const { db, cdc, devices, devicesAfter } = await scenario();
    const users = db.collection<{ _id: string; [field: string]: unknown }>('user');
    await users.insertOne({ _id: 'u1', mac: 'a4:83:e7:00:00:01', name: 'Robin', oui: 'Apple' });
    const failures: CaptureError[] = [];
    const older = cdc({ onError: (error) => failures.push(error) });
    await older.start();
    const newer = cdc();
    await newer.start();
    await users.insertOne({ _id: 'u2', mac: 'a4:83:e7:00:00:02', name: 'Sam', oui: 'Apple' });
    await devicesAfter(2);
    await eventually(
      () => failures.length,
      (count) => count === 1,
      15_000,
    );
    expect(failures[0]?.code).toBe('CDC_KAFKA_FAILED');
    expect(await devices()).toEqual([
      put(user('a4:83:e7:00:00:01', 'Robin', 'Apple')),
      put(user('a4:83:e7:00:00:02', 'Sam', 'Apple')),
    ]);
  });

  it('fails with CDC_TOPIC_MISSING when the devices topic does not exist', async () => {
    const { cdc } = await scenario();
    const instance = cdc({ devicesTopic: uniqueName('missing') });
    await expect(instance.start()).rejects.toMatchObject({ code: 'CDC_TOPIC_MISSING' });
    expect((await admin.listTopics()).some((topic) => topic.startsWith('missing-'))).toBe(false);
  });

  it('fails with CDC_OFFSETS_CORRUPT when its offsets topic holds a record it cannot read', async () => {
    const { cdc, applicationId, devices } = await scenario();
    await admin.createTopics({
      topics: [{ topic: `${applicationId}-cdc-offsets`, numPartitions: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${applicationId}-cdc-offsets`,
      messages: [{ key: 'doc:ace.user:"u1"', value: 'not JSON' }],
    });
    await producer.disconnect();
    await expect(cdc().start()).rejects.toMatchObject({
      code: 'CDC_OFFSETS_CORRUPT',
      message: expect.stringContaining('offset 0'),
    });
    expect(await devices()).toEqual([]);
  });

  it('never logs the password of the MongoDB URL, also when MongoDB refuses it', async () => {
    const { cdc, lines } = await scenario();
    const url = inject('mongodbUrl').replace('mongodb://', 'mongodb://cdc:hunter2@');
    const instance = cdc({ mongodbUrl: url });
    const error = await instance.start().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    // mongo-java-server knows no authentication (MongoDB would refuse the made-up user): start fails at once.
    expect(error).toBeInstanceOf(CaptureError);
    expect(error).toMatchObject({ code: 'CDC_MONGODB_FAILED' });
    expect((error as Error).message).not.toContain('hunter2');
    expect(lines).toContainEqual(expect.stringContaining('mongodb://***@'));
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
