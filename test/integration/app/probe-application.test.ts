import { describe, expect, inject, it } from 'vitest';
import { ProbeApplication } from '../../../src/app/probe-application.js';
import { silentLogger } from '../../../src/logging/index.js';
import {
  type Alert,
  type DeviceRecord,
  deviceSerde,
  type ProbeStats,
  STORES,
  ssidAlertSerde,
} from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { consumeRecords, uniqueName } from '../../support/kafka.js';
import { eventually, newStateDir, useStreamsTestContext } from '../../support/streams.js';

const T0 = 1_587_564_340_123;
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';

const probe = (mac: string, ssid: string | null, timestamp: number) =>
  JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 }));

describe('the probe application on the real broker', () => {
  const context = useStreamsTestContext();

  it('keeps per-device stats, names devices from the devices table and alerts on watched SSIDs', async () => {
    const topics = {
      pcap: uniqueName('pcap'),
      devices: uniqueName('devices'),
      ssidAlertList: uniqueName('ssid-alert-list'),
      alerts: uniqueName('alerts'),
    };
    const applicationId = uniqueName('probes-app');
    const app = new ProbeApplication({
      kafka: context.kafka,
      partitions: 3,
      topics,
      logger: silentLogger,
      streams: {
        applicationId,
        bootstrapServers: inject('kafkaBrokers'),
        stateDir: newStateDir(),
        commitIntervalMs: 200,
      },
    });
    context.running.push(app.streams);
    await app.start();
    await app.streams.waitForState('RUNNING');

    const producer = context.kafka.producer();
    await producer.connect();
    const phone: DeviceRecord = {
      mac: PHONE,
      source: 'user',
      name: 'Kitchen iPad',
      ip: '192.168.1.20',
      model: 'Apple',
      type: null,
      is_guest: false,
    };
    await producer.send({
      topic: topics.devices,
      messages: [{ key: PHONE, value: deviceSerde().serialize(phone) }],
    });
    await producer.send({
      topic: topics.ssidAlertList,
      messages: [{ key: 'RNM0', value: ssidAlertSerde().serialize({ reason: 'a watched network' }) }],
    });
    // Not mirrored to the API's thread (the API does not look them up by key): asked of the worker.
    await eventually(
      () => app.streams.queryLocal<string, DeviceRecord>(STORES.devices, PHONE),
      (answer) => answer.kind === 'active' && answer.value?.name === 'Kitchen iPad',
    );
    await eventually(
      () => app.streams.queryLocal<string, { reason: string }>(STORES.ssidAlertList, 'RNM0'),
      (answer) => answer.kind === 'active' && answer.value !== undefined,
    );
    expect(() => app.streams.store(STORES.devices).get(PHONE)).toThrow(/not mirrored/);

    await producer.send({
      topic: topics.pcap,
      messages: [
        { key: null, value: probe(PHONE, 'RNM0', T0) },
        { key: PHONE, value: probe(PHONE, '', T0 + 1000) },
        { key: null, value: probe(PHONE, null, T0 - 500) },
        { key: null, value: probe(LAPTOP, 'RNM0', T0 + 7) },
        {
          key: null,
          value: JSON.stringify({ timestamp: String(T0), wlan_fc_type_subtype: ['8'], wlan_sa: [PHONE] }),
        },
        { key: null, value: '{"timestamp": "1587564340123", "wlan_fc_type_subtype": ["4"]}' },
      ],
    });
    await producer.disconnect();

    const stats = (store: string, key: string) => app.streams.store<string, ProbeStats>(store).get(key);
    expect(
      await eventually(
        () => stats(STORES.statsByMac, PHONE),
        (s) => s?.probeCount === 3,
      ),
    ).toEqual({
      probeCount: 3,
      firstProbe: T0 - 500,
      lastProbe: T0 + 1000,
      ssidsProbed: [null, '', 'RNM0'],
    });
    expect(
      await eventually(
        () => stats(STORES.statsByMac, LAPTOP),
        (s) => s !== undefined,
      ),
    ).toEqual({
      probeCount: 1,
      firstProbe: T0 + 7,
      lastProbe: T0 + 7,
      ssidsProbed: ['RNM0'],
    });
    expect(
      await eventually(
        () => stats(STORES.statsByName, 'Kitchen iPad'),
        (s) => s?.probeCount === 3,
      ),
    ).toEqual({ probeCount: 3, firstProbe: T0 - 500, lastProbe: T0 + 1000, ssidsProbed: [null, '', 'RNM0'] });

    const consumer = context.kafka.consumer({ groupId: uniqueName('alerts-reader') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.alerts, `${applicationId}-dlq`], fromBeginning: true });
    const records = await consumeRecords(consumer, 3);
    await consumer.disconnect();
    const alerts = records
      .filter((r) => r.topic === topics.alerts)
      .map((r) => ({ key: String(r.message.key), value: JSON.parse(String(r.message.value)) as Alert }))
      .sort((a, b) => a.value.ts.localeCompare(b.value.ts));
    expect(alerts).toEqual([
      {
        key: PHONE,
        value: {
          ts: '2020-04-22T14:05:40.123Z',
          mac: PHONE,
          ssid: 'RNM0',
          reason: 'a watched network',
          deviceName: 'Kitchen iPad',
        },
      },
      {
        key: LAPTOP,
        value: {
          ts: '2020-04-22T14:05:40.130Z',
          mac: LAPTOP,
          ssid: 'RNM0',
          reason: 'a watched network',
          deviceName: null,
        },
      },
    ]);
    const [dead] = records.filter((r) => r.topic === `${applicationId}-dlq`);
    expect(String(dead?.message.headers?.['probestream.error.message'])).toBe(
      `Cannot read a pcap record from topic ${topics.pcap}: wlan_sa null is not a MAC address`,
    );
    expect(String(dead?.message.headers?.['probestream.source.topic'])).toBe(topics.pcap);

    // Regression: records of a replayed 2020 capture were deleted by time from the repartition topics (7-day
    // retention) before the next sub-topology read them, and alerts would be too.
    const configs = await context.admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: `${applicationId}-probes-by-mac-repartition`, configNames: ['retention.ms'] },
        { type: 2, name: topics.alerts, configNames: ['message.timestamp.type'] },
      ],
    });
    const value = (name: string, key: string) =>
      configs.resources.find((r) => r.resourceName === name)?.configEntries.find((e) => e.configName === key)
        ?.configValue;
    expect(value(`${applicationId}-probes-by-mac-repartition`, 'retention.ms')).toBe('-1');
    expect(value(topics.alerts, 'message.timestamp.type')).toBe('LogAppendTime');
  });
});
