import { afterAll, describe, expect, it } from 'vitest';
import { type DeviceRecord, deviceSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { uniqueName } from '../../support/kafka.js';
import {
  getJson as get,
  startTestProbeApp,
  type TestProbeApp,
  uniqueProbeTopics,
} from '../../support/probe-app.js';
import { openSse } from '../../support/sse-client.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const T0 = 1_587_564_340_123;
const TOKEN = 'test-token-6c1f';
const DEVICES = 24;
const macOf = (i: number) => `a4:83:e7:00:00:${i.toString(16).padStart(2, '0')}`;

type Instance = TestProbeApp;

describe('the API of two instances of one application, on the real broker', () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  const applicationId = uniqueName('api-app');
  const instances: Instance[] = [];

  async function startInstance(): Promise<Instance> {
    const instance = await startTestProbeApp(context.kafka, {
      topics,
      applicationId,
      partitions: 4,
      apiToken: TOKEN,
      streams: { numStandbyReplicas: 1 },
    });
    instances.push(instance);
    return instance;
  }

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.app.close()));
  });

  const statsOf = (i: number) => ({
    mac: macOf(i),
    // Every instance reads the whole devices table, so either names a MAC that the other owns.
    deviceName: `device ${i % 3}`,
    probeCount: 2,
    firstProbe: new Date(T0 + i).toISOString(),
    lastProbe: new Date(T0 + 1000 + i).toISOString(),
    uniqueSsidsProbed: 2,
    ssidsProbed: ['', `home-${i}`],
  });

  it('answers every key the same from either instance, forwarding what the other owns', async () => {
    const [a, b] = [await startInstance(), await startInstance()];
    await eventually(
      () =>
        a.app.streams.isReady() &&
        b.app.streams.isReady() &&
        a.app.streams.metadataForAllStreamsClients().length === 2,
      (ready) => ready,
    );
    const producer = context.kafka.producer();
    await producer.connect();
    const device = (i: number): DeviceRecord => ({
      mac: macOf(i),
      source: 'user',
      name: `device ${i % 3}`,
      ip: null,
      model: null,
      type: null,
      is_guest: false,
    });
    await producer.send({
      topic: topics.devices,
      messages: Array.from({ length: DEVICES }, (_, i) => ({
        key: macOf(i),
        value: deviceSerde().serialize(device(i)),
      })),
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await producer.send({
      topic: topics.pcap,
      messages: Array.from({ length: DEVICES }, (_, i) => [
        {
          key: null,
          value: JSON.stringify(
            pcapValueOf({ mac: macOf(i), ssid: `home-${i}`, timestamp: T0 + i, signalDbm: -50 }),
          ),
        },
        {
          key: null,
          value: JSON.stringify(
            pcapValueOf({ mac: macOf(i), ssid: '', timestamp: T0 + 1000 + i, signalDbm: -50 }),
          ),
        },
      ]).flat(),
    });
    await producer.disconnect();

    await eventually(
      async () => (await get(a.url, `/devices?limit=1000`)).body,
      (body) =>
        body.devices?.length === DEVICES &&
        body.devices.every((d: { probeCount: number }) => d.probeCount === 2),
    );
    const servedBy = new Set<string>();
    for (let i = 0; i < DEVICES; i++) {
      for (const instance of [a, b]) {
        // Upper case and dashes are accepted; the answer names the MAC as stored.
        const answer = await get(
          instance.url,
          `/devices/${macOf(i).toUpperCase().replaceAll(':', '-')}/stats`,
        );
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(statsOf(i));
        expect(answer.headers.get('x-probestream-stale-lag')).toBeNull();
        servedBy.add(`${instance.self}->${answer.headers.get('x-probestream-served-by')}`);
      }
    }
    // Each instance answered some keys itself and had the other answer the rest.
    expect([...servedBy].sort()).toEqual(
      [`${a.self}->${a.self}`, `${a.self}->${b.self}`, `${b.self}->${a.self}`, `${b.self}->${b.self}`].sort(),
    );

    const page1 = await get(b.url, '/devices?limit=10');
    expect(page1.body.devices.map((d: { mac: string }) => d.mac)).toEqual(
      Array.from({ length: 10 }, (_, i) => macOf(i)),
    );
    const page3 = await get(a.url, `/devices?limit=10&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect(page3.body.devices[0].mac).toBe(macOf(10));

    // By name is one repartition further on: it catches up a moment later.
    const byName = await eventually(
      () => get(b.url, `/devices/by-name/${encodeURIComponent('device 1')}/stats`),
      (answer) => answer.body.probeCount === (DEVICES / 3) * 2,
    );
    expect(byName.status).toBe(200);
    expect(byName.body).toMatchObject({ name: 'device 1', uniqueSsidsProbed: DEVICES / 3 + 1 });

    expect(await get(a.url, '/devices/00:00:00:00:00:00/stats')).toMatchObject({
      status: 404,
      body: { error: { code: 'DEVICE_NOT_FOUND' } },
    });
    expect(await get(b.url, '/devices/not-a-mac/stats')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_MAC' } },
    });
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/^probestream_records_processed_total\{.*topic="/m);
    expect(metrics).toMatch(/^probestream_http_requests_total\{/m);
    expect((await get(a.url, '/readyz')).status).toBe(200);
  });

  it('streams an alert to an SSE client after an authorised write adds its SSID to the alert list', async () => {
    const [a, b] = instances as [Instance, Instance];
    const unauthorised = await fetch(`${a.url}/ssid-alerts/RNM0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'watched' }),
    });
    expect(unauthorised.status).toBe(401);
    const put = await fetch(`${a.url}/ssid-alerts/RNM0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ reason: 'watched <b>network</b>' }),
    });
    expect(put.status).toBe(200);
    // The list is a global table, followed by every instance on its own: the probe may be processed by
    // either, so both must have read the write.
    for (const instance of [a, b]) {
      await eventually(
        async () => (await get(instance.url, '/ssid-alerts')).body,
        (body) => body.alerts?.length === 1,
      );
    }
    expect((await get(b.url, '/ssid-alerts')).body).toEqual({
      alerts: [{ ssid: 'RNM0', reason: 'watched <b>network</b>' }],
    });

    const sse = await openSse(`${b.url}/alerts/stream?ssid=RNM0`);
    try {
      expect(sse.status).toBe(200);
      const producer = context.kafka.producer();
      await producer.connect();
      await producer.send({
        topic: topics.pcap,
        messages: [
          {
            key: null,
            value: JSON.stringify(
              pcapValueOf({ mac: macOf(1), ssid: 'RNM0', timestamp: T0 + 5000, signalDbm: -40 }),
            ),
          },
        ],
      });
      await producer.disconnect();
      const event = await sse.next(20_000);
      expect(event.event).toBe('alert');
      expect(JSON.parse(event.data)).toEqual({
        ts: new Date(T0 + 5000).toISOString(),
        mac: macOf(1),
        ssid: 'RNM0',
        reason: 'watched <b>network</b>',
        deviceName: 'device 1',
      });
    } finally {
      sse.close();
    }
  });

  it("serves a stopped instance's keys from the other after the rebalance", async () => {
    const [a, b] = instances as [Instance, Instance];
    await a.app.close();
    const answers = await eventually(
      async () =>
        Promise.all(Array.from({ length: DEVICES }, (_, i) => get(b.url, `/devices/${macOf(i)}/stats`))),
      (all) =>
        // Served by b's own active tasks: a standby copy of a's may still be a record behind.
        all.every(
          (answer) =>
            answer.status === 200 &&
            answer.headers.get('x-probestream-served-by') === b.self &&
            answer.headers.get('x-probestream-stale-lag') === null,
        ),
      45_000,
    );
    expect(answers.map((answer) => answer.body.probeCount)).toEqual(
      Array.from({ length: DEVICES }, (_, i) => (i === 1 ? 3 : 2)),
    );
  });
});
