import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createApiServer,
  createKafkaPushSources,
  decodeAlert,
  KafkaAlertListWriter,
  KafkaPushSource,
  type KafkaPushSources,
  type ProbeEvent,
} from '../../../src/api/index.js';
import { type Alert, ssidAlertSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { FakeRouter } from '../../api/fakes.js';
import { uniqueName } from '../../support/kafka.js';
import { openSse } from '../../support/sse-client.js';
import { createTopics, eventually, readTable, useStreamsTestContext } from '../../support/streams.js';

const MAC = 'a4:83:e7:4e:39:15';
const alert = (ssid: string): Alert => ({
  ts: '2020-04-22T14:05:40.123Z',
  mac: MAC,
  ssid,
  reason: 'bait',
  deviceName: 'Kitchen iPad',
});

describe('the API on the real broker', () => {
  const context = useStreamsTestContext();
  const closing: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closing.reverse()) await close();
  });

  async function produce(topic: string, messages: { key: string | null; value: string | Buffer | null }[]) {
    const producer = context.kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  function pushSources(topics: { alerts: string; pcap: string }): KafkaPushSources {
    const sources = createKafkaPushSources({
      kafka: context.kafka,
      groupIdPrefix: uniqueName('api-test'),
      topics,
    });
    closing.push(() => sources.close());
    return sources;
  }

  it('writes alert-list entries as Avro keyed by SSID, and removals as tombstones', async () => {
    const topic = uniqueName('ssid-alert-list');
    await createTopics(context.admin, { [topic]: 3 });
    const writer = new KafkaAlertListWriter({ kafka: context.kafka, topic });
    closing.push(() => writer.close());
    await writer.put('RNM0', 'seen at the burglary');
    await writer.put('Free Wi-Fi', 'bait');
    await writer.put('RNM0', 'changed reason');
    await writer.delete('Free Wi-Fi');
    const serde = ssidAlertSerde();
    const consumer = context.kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values = new Map<string, string | null>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          values.set(key, message.value === null ? null : serde.deserialize(message.value).reason);
          if (
            values.size === 2 &&
            values.get('RNM0') === 'changed reason' &&
            values.get('Free Wi-Fi') === null
          ) {
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(Object.fromEntries(values)).toEqual({ RNM0: 'changed reason', 'Free Wi-Fi': null });
  });

  it('fails a write with SERVICE_UNAVAILABLE when Kafka cannot be reached, and recovers after', async () => {
    const unreachable = new Kafka({
      clientId: uniqueName('unreachable'),
      brokers: ['127.0.0.1:1'],
      connectionTimeout: 200,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const writer = new KafkaAlertListWriter({ kafka: unreachable, topic: uniqueName('never') });
    closing.push(() => writer.close());
    await expect(writer.put('x', 'y')).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      statusCode: 503,
      retryAfterSeconds: 5,
    });
    await expect(writer.delete('x')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 413 PAYLOAD_TOO_LARGE, writing nothing, for an entry larger than the topic takes', async () => {
    const topic = uniqueName('ssid-alert-list');
    // The API allows a reason of 500 characters; a topic may take less than such an entry.
    await context.admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '400' }] }],
      waitForLeaders: true,
    });
    const alertList = new KafkaAlertListWriter({ kafka: context.kafka, topic });
    closing.push(() => alertList.close());
    const app = await createApiServer({
      router: new FakeRouter(),
      alertList,
      pushSources: pushSources({ alerts: uniqueName('alerts'), pcap: uniqueName('pcap') }),
      isReady: () => true,
      instanceName: '127.0.0.1:0',
    });
    closing.push(() => app.close());
    const put = (reason: string) =>
      app.inject({ method: 'PUT', url: '/ssid-alerts/RNM0', payload: { reason } });
    const tooLarge = await put('r'.repeat(400));
    expect(tooLarge.statusCode).toBe(413);
    // Key 4 bytes, value an Avro string of 400 bytes with its 2-byte length, and the bound's 36.
    expect(tooLarge.json()).toEqual({
      error: {
        code: 'PAYLOAD_TOO_LARGE',
        message: `the entry is 442 bytes as a record, more than topic ${topic} takes (320)`,
      },
    });
    expect((await put('watch')).statusCode).toBe(200);
    const { table } = await readTable(context.kafka, topic, 1);
    expect([...table.keys()]).toEqual(['RNM0']);
  });

  it('pushes alerts produced after subscribing, and only those, skipping what is not an alert', async () => {
    const topics = { alerts: uniqueName('alerts'), pcap: uniqueName('pcap') };
    await createTopics(context.admin, { [topics.alerts]: 3, [topics.pcap]: 3 });
    await produce(topics.alerts, [{ key: MAC, value: JSON.stringify(alert('before')) }]);
    const sources = pushSources(topics);
    const received: Alert[] = [];
    await sources.alerts.subscribe((event) => received.push(event));
    await produce(topics.alerts, [
      { key: MAC, value: 'not json' },
      { key: MAC, value: null },
      { key: MAC, value: JSON.stringify({ hello: 'world' }) },
      { key: MAC, value: JSON.stringify(alert('RNM0')) },
    ]);
    await eventually(
      () => received.length,
      (count) => count >= 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual([alert('RNM0')]);
  });

  it('pushes probe requests from pcap, skipping other frames and unreadable records', async () => {
    const topics = { alerts: uniqueName('alerts'), pcap: uniqueName('pcap') };
    await createTopics(context.admin, { [topics.alerts]: 1, [topics.pcap]: 3 });
    const sources = pushSources(topics);
    const received: ProbeEvent[] = [];
    await sources.probes.subscribe((event) => received.push(event));
    const probe = { timestamp: 1_587_564_340_123, mac: MAC, ssid: 'RNM0', signalDbm: -67 };
    await produce(topics.pcap, [
      {
        key: MAC,
        value: JSON.stringify({ timestamp: '1587564340000', wlan_fc_type_subtype: ['8'], wlan_sa: [MAC] }),
      },
      { key: MAC, value: Buffer.from([0xff, 0x00]) },
      { key: MAC, value: JSON.stringify({ timestamp: null }) },
      { key: MAC, value: JSON.stringify(pcapValueOf(probe)) },
    ]);
    await eventually(
      () => received.length,
      (count) => count >= 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received).toEqual([probe]);
  });

  it('stops its consumer when no one has listened for a while, and starts again for the next subscriber', async () => {
    const topics = { alerts: uniqueName('alerts'), pcap: uniqueName('pcap') };
    await createTopics(context.admin, { [topics.alerts]: 1, [topics.pcap]: 1 });
    const alerts = new KafkaPushSource<Alert>({
      kafka: context.kafka,
      topic: topics.alerts,
      groupIdPrefix: uniqueName('api-test'),
      decode: decodeAlert,
      idleStopMs: 50,
    });
    closing.push(() => alerts.close());
    const unsubscribe = await alerts.subscribe(() => {});
    expect(alerts.running).toBe(true);
    unsubscribe();
    await eventually(
      () => alerts.running,
      (running) => !running,
    );
    const received: Alert[] = [];
    await alerts.subscribe((event) => received.push(event));
    expect(alerts.running).toBe(true);
    await produce(topics.alerts, [{ key: MAC, value: JSON.stringify(alert('again')) }]);
    await eventually(
      () => received.length,
      (count) => count === 1,
    );
    await alerts.close();
    expect(alerts.running).toBe(false);
    await expect(alerts.subscribe(() => {})).rejects.toThrow('is closed');
  });

  it('serves writes and an alert stream end to end over HTTP', async () => {
    const topics = {
      alerts: uniqueName('alerts'),
      pcap: uniqueName('pcap'),
      list: uniqueName('ssid-alert-list'),
    };
    await createTopics(context.admin, { [topics.alerts]: 3, [topics.pcap]: 1, [topics.list]: 3 });
    const alertList = new KafkaAlertListWriter({ kafka: context.kafka, topic: topics.list });
    closing.push(() => alertList.close());
    const app: FastifyInstance = await createApiServer({
      router: new FakeRouter(),
      alertList,
      pushSources: pushSources(topics),
      isReady: () => true,
      instanceName: '127.0.0.1:0',
      apiToken: 'token',
    });
    closing.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const put = await fetch(`${base}/ssid-alerts/RNM0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer token' },
      body: JSON.stringify({ reason: 'watch' }),
    });
    expect(put.status).toBe(200);
    const { table } = await readTable(context.kafka, topics.list, 1);
    expect(table.has('RNM0')).toBe(true);

    const stream = await openSse(`${base}/alerts/stream?ssid=RNM0`);
    expect(stream.status).toBe(200);
    await produce(topics.alerts, [
      { key: MAC, value: JSON.stringify(alert('other')) },
      { key: MAC, value: JSON.stringify(alert('RNM0')) },
    ]);
    const event = await stream.next(20_000);
    expect(event.event).toBe('alert');
    expect(JSON.parse(event.data)).toEqual(alert('RNM0'));
    stream.close();
  });
});
