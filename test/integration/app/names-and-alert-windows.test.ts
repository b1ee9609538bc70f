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
import { uniqueName } from '../../support/kafka.js';
import { eventually, newStateDir, useStreamsTestContext } from '../../support/streams.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2020, 3, 22, 14, 0, 0); // on a 15-minute boundary
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';

/** Keyed by source MAC, as `capture` and `replay` write them: each device's probes stay in order. */
const probe = (mac: string, ssid: string, timestamp: number) => ({
  key: mac,
  value: JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 })),
});

function device(mac: string, name: string | null): DeviceRecord {
  return { mac, source: 'manual', name, ip: null, model: null, type: null, is_guest: false };
}

describe('names over the whole history, and alert windows, on the real broker', () => {
  const context = useStreamsTestContext();

  it('names given after the probes show all of them, a rename moves them, unnaming removes them; one alert per pair per window', async () => {
    const topics = {
      pcap: uniqueName('pcap'),
      devices: uniqueName('devices'),
      ssidAlertList: uniqueName('ssid-alert-list'),
      alerts: uniqueName('alerts'),
    };
    const app = new ProbeApplication({
      kafka: context.kafka,
      partitions: 3,
      topics,
      logger: silentLogger,
      alertSuppressWindowMs: 15 * MINUTE,
      streams: {
        applicationId: uniqueName('names-app'),
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
    await producer.send({
      topic: topics.ssidAlertList,
      messages: [{ key: 'eduroam', value: ssidAlertSerde().serialize({ reason: 'watched' }) }],
    });
    await eventually(
      () => app.streams.queryLocal(STORES.ssidAlertList, 'eduroam'),
      (answer) => answer.kind === 'active' && answer.value !== undefined,
    );
    // A replay: two devices probing a watched SSID every 5 s for 30 minutes (two windows), sent at once.
    const messages = [];
    for (let i = 0; i < 360; i++) {
      messages.push(probe(PHONE, 'eduroam', T0 + i * 5000));
      messages.push(probe(LAPTOP, 'eduroam', T0 + i * 5000 + 1));
    }
    await producer.send({ topic: topics.pcap, messages });

    const stats = (store: string, key: string) => app.streams.store<string, ProbeStats>(store).get(key);
    await eventually(
      () => [stats(STORES.statsByMac, PHONE)?.probeCount, stats(STORES.statsByMac, LAPTOP)?.probeCount],
      (counts) => counts[0] === 360 && counts[1] === 360,
    );
    const suppressed = async () => {
      const text = await app.streams.metrics.registry.metrics();
      const line = text
        .split('\n')
        .find(
          (l) => l.startsWith('probestream_dropped_records_total') && l.includes('reason="alert-suppressed"'),
        );
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    await eventually(suppressed, (n) => n === 720 - 4);
    const alertsWritten = async () =>
      (await context.admin.fetchTopicOffsets(topics.alerts)).reduce((n, p) => n + Number(p.high), 0);
    expect(await eventually(alertsWritten, (n) => n >= 4)).toBe(4);

    // Named after the fact: the name shows every probe.
    const name = async (mac: string, value: string | null) =>
      producer.send({
        topic: topics.devices,
        messages: [{ key: mac, value: value === null ? null : deviceSerde().serialize(device(mac, value)) }],
      });
    await name(PHONE, 'Kitchen iPad');
    await name(LAPTOP, 'Kitchen iPad');
    const both = await eventually(
      () => stats(STORES.statsByName, 'Kitchen iPad'),
      (s) => s?.probeCount === 720,
    );
    expect(both).toEqual({
      probeCount: 720,
      firstProbe: T0,
      lastProbe: T0 + 359 * 5000 + 1,
      ssidsProbed: ['eduroam'],
    });
    // A rename moves all of the laptop's probes; unnaming the phone removes its name.
    await name(LAPTOP, 'Study laptop');
    await eventually(
      () => [
        stats(STORES.statsByName, 'Kitchen iPad')?.probeCount,
        stats(STORES.statsByName, 'Study laptop')?.probeCount,
      ],
      (counts) => counts[0] === 360 && counts[1] === 360,
    );
    await name(PHONE, null);
    await eventually(
      () => stats(STORES.statsByName, 'Kitchen iPad'),
      (s) => s === undefined,
    );
    expect(stats(STORES.statsByName, 'Study laptop')).toEqual({
      probeCount: 360,
      firstProbe: T0 + 1,
      lastProbe: T0 + 359 * 5000 + 1,
      ssidsProbed: ['eduroam'],
    });
    await producer.disconnect();

    const consumer = context.kafka.consumer({ groupId: uniqueName('alerts-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.alerts, fromBeginning: true });
    const alerts: Alert[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void alerts.push(JSON.parse(String(message.value))),
    });
    await eventually(
      () => alerts.length,
      (n) => n === 4,
    );
    await consumer.disconnect();
    expect(alerts.map((a) => [a.mac, a.ts.slice(11, 19), a.suppressed]).sort()).toEqual(
      [
        [PHONE, '14:00:00', 0],
        [PHONE, '14:15:00', 179],
        [LAPTOP, '14:00:00', 0],
        [LAPTOP, '14:15:00', 179],
      ].sort(),
    );
  });
});
