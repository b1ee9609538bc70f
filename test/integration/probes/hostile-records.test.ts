import { describe, expect, it } from 'vitest';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { consumeRecords, uniqueName } from '../../support/kafka.js';
import { startTestProbeApp, uniqueProbeTopics } from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const T0 = 1_587_222_267_000;
const macOf = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;

/** The records: probe requests with a 200,000-character SSID, and 200 KB lines that are not JSON. */
const hugeSsid = (i: number) =>
  JSON.stringify({
    timestamp: String(T0),
    wlan_fc_type_subtype: ['4'],
    wlan_sa: ['02:00:00:00:00:97'],
    wlan_ssid: [String(i).repeat(200_000)],
  });
const notJson = (i: number) => `not json ${i} ${'z'.repeat(200_000)}`;
const tooLongSsid = JSON.stringify({
  timestamp: String(T0),
  wlan_fc_type_subtype: ['0x0004'],
  wlan_sa: ['02:00:00:00:00:98'],
  wlan_ssid: ['61'.repeat(40)],
});

describe('hostile pcap records on the real broker', () => {
  const context = useStreamsTestContext();

  it('go to the DLQ, each in its partition with its reason, while every ordinary probe is counted', async () => {
    const topics = uniqueProbeTopics();
    const applicationId = uniqueName('hostile-app');
    const instance = await startTestProbeApp(context.kafka, { topics, applicationId, partitions: 3 });
    context.running.push(instance.app);
    await instance.app.streams.waitForState('RUNNING');

    const producer = context.kafka.producer();
    await producer.connect();
    const ordinary = (i: number, n: number) =>
      JSON.stringify(pcapValueOf({ mac: macOf(i), ssid: `home-${i}`, timestamp: T0 + n, signalDbm: -60 }));
    // One record a request: the test's own producer must stay under the broker's limit.
    const values: string[] = [];
    for (let i = 0; i < 6; i++) {
      values.push(ordinary(i, 0));
      if (i < 5) values.push(hugeSsid(i));
      values.push(notJson(i));
      values.push(ordinary(i, 1000));
    }
    values.push(tooLongSsid);
    for (const [n, value] of values.entries()) {
      await producer.send({ topic: topics.pcap, messages: [{ key: null, value, partition: n % 3 }] });
    }
    await producer.disconnect();

    const get = async (path: string) => {
      const response = await fetch(`${instance.url}${path}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    for (let i = 0; i < 6; i++) {
      const answer = await eventually(
        () => get(`/devices/${macOf(i)}/stats`),
        (a) => a.status === 200 && a.body.probeCount === 2,
      );
      expect(answer.body).toEqual({
        mac: macOf(i),
        deviceName: null,
        probeCount: 2,
        firstProbe: new Date(T0).toISOString(),
        lastProbe: new Date(T0 + 1000).toISOString(),
        uniqueSsidsProbed: 1,
        ssidsProbed: [`home-${i}`],
      });
    }
    expect((await get('/devices/02:00:00:00:00:97/stats')).status).toBe(404);
    expect((await get('/devices/02:00:00:00:00:98/stats')).status).toBe(404);

    const consumer = context.kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: `${applicationId}-dlq`, fromBeginning: true });
    const dead = await consumeRecords(consumer, 12, 30_000);
    await consumer.disconnect();
    const header = (r: (typeof dead)[number], name: string) => String(r.message.headers?.[name]);
    for (const record of dead) {
      expect(String(record.partition)).toBe(header(record, 'probestream.source.partition'));
      expect(header(record, 'probestream.source.topic')).toBe(topics.pcap);
    }
    const reasons = dead.map((r) => header(r, 'probestream.error.message').replace(/\(.*\)$/, '(…)'));
    const count = (pattern: RegExp) => reasons.filter((reason) => pattern.test(reason)).length;
    expect(
      count(
        /^Cannot read a pcap record from topic .*: 20\d{4} bytes is more than the 65536 a record may have/,
      ),
    ).toBe(11);
    expect(count(/wlan_ssid is 40 bytes long; an 802.11 SSID has at most 32$/)).toBe(1);
    // Each dead letter is the record as it came, whole: all of them fit the DLQ.
    expect(dead.map((r) => r.message.value?.length).sort()).toEqual(
      [...values.filter((v) => v.length > 1000 || v === tooLongSsid).map((v) => v.length)].sort(),
    );
    expect(instance.app.streams.state).toBe('RUNNING');
  });
});
