import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DeviceCdc } from '../../../src/capture/cdc.js';
import { DeviceDirectory } from '../../../src/probes/device-directory.js';
import { DeviceWriter, manualDevice } from '../../../src/probes/device-writer.js';
import { testKafka, uniqueName } from '../../support/kafka.js';
import { eventually } from '../../support/streams.js';

const PHONE = '02:00:00:00:0a:01';
const TV = '02:00:00:00:0a:02';

describe('manual names beside the CDC, in one devices table', () => {
  const kafka = testKafka();
  const mongo = new MongoClient(inject('mongodbUrl'));
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await mongo.close();
  });

  it('keeps a manual name through CDC restarts and snapshots, until the device changes in MongoDB', async () => {
    const database = uniqueName('ace');
    const applicationId = uniqueName('names');
    const devicesTopic = uniqueName('devices');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: devicesTopic,
          numPartitions: 2,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await mongo.connect();
    const users = mongo.db(database).collection('user');
    await users.insertOne({
      _id: 'phone' as never,
      mac: PHONE,
      name: 'Phone',
      hostname: 'pixel',
      oui: 'Google',
      ip: '10.0.0.7',
    });
    const startCdc = async () => {
      const cdc = new DeviceCdc({
        mongodbUrl: inject('mongodbUrl'),
        kafka,
        applicationId,
        database,
        devicesTopic,
      });
      closers.push(() => cdc.close());
      await cdc.start();
      return cdc;
    };
    const directory = new DeviceDirectory({ kafka, topic: devicesTopic, pollMs: 100 });
    closers.push(() => directory.close());
    await directory.start();
    const first = await startCdc();
    await eventually(
      () => directory.get(PHONE)?.name,
      (name) => name === 'Phone (pixel)',
    );

    // By hand: the phone renamed (what the controller knows of it kept), and a TV MongoDB does not know.
    const writer = new DeviceWriter(kafka, { topic: devicesTopic });
    closers.push(() => writer.close());
    await writer.write([
      manualDevice(PHONE, "Alice's phone", directory.get(PHONE)),
      manualDevice(TV, 'Hall TV', undefined, true),
    ]);
    await eventually(
      () => directory.get(PHONE)?.name,
      (name) => name === "Alice's phone",
    );
    expect(directory.get(PHONE)).toEqual({
      mac: PHONE,
      source: 'manual',
      name: "Alice's phone",
      ip: '10.0.0.7',
      model: 'Google',
      type: null,
      is_guest: false,
    });

    // A restart takes a snapshot; nothing changed in MongoDB, so nothing is written over the manual names.
    await first.close();
    const second = await startCdc();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(directory.get(PHONE)?.name).toBe("Alice's phone");
    expect(directory.get(TV)).toMatchObject({ name: 'Hall TV', source: 'manual', is_guest: true });
    expect(directory.names().resolve('hall tv')).toEqual([{ name: 'Hall TV', macs: [TV] }]);

    // The later write wins: the phone's document changes, and the CDC's name replaces the manual one.
    await users.updateOne({ _id: 'phone' as never }, { $set: { name: 'Work phone' } });
    await eventually(
      () => directory.get(PHONE)?.name,
      (name) => name === 'Work phone (pixel)',
    );
    expect(directory.get(PHONE)?.source).toBe('user');
    expect(directory.get(TV)?.name).toBe('Hall TV');
    await second.close();
  });
});
