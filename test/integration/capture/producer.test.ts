import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CaptureError } from '../../../src/capture/errors.js';
import { CaptureProducer, type SkippedRecord } from '../../../src/capture/producer.js';
import { replay } from '../../../src/capture/replay.js';
import type { PcapValue } from '../../../src/probes/pcap.js';
import { consumeRecords, testKafka, uniqueName } from '../../support/kafka.js';
import { createTopics } from '../../support/streams.js';

const T0 = 1_587_564_340_000;

function frame(i: number): PcapValue {
  const mac = `A4:83:E7:00:00:${(i % 16).toString(16).padStart(2, '0').toUpperCase()}`;
  return {
    timestamp: String(T0 + i * 10),
    wlan_fc_type_subtype: [i % 4 === 0 ? '8' : '4'],
    wlan_sa: [mac],
    wlan_ssid: [`net-${i % 3}`],
  };
}

async function* frames(count: number): AsyncGenerator<PcapValue> {
  for (let i = 0; i < count; i++) yield frame(i);
}

/** A probe request from one device whose SSID is `length` characters long, as the hostile input. */
function longSsidFrame(i: number, length: number): PcapValue {
  return { ...frame(i), wlan_sa: ['02:00:00:00:00:97'], wlan_ssid: ['x'.repeat(length)] };
}

async function* mixed(list: readonly PcapValue[]): AsyncGenerator<PcapValue> {
  yield* list;
}

async function producedRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describe('writing captured frames to Kafka', () => {
  const kafka = testKafka();
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('replays every frame keyed by its normalised source MAC, acknowledged before it resolves', async () => {
    const topic = uniqueName('pcap');
    await createTopics(admin, { [topic]: 3 });
    const producer = new CaptureProducer({ kafka, topic, batchSize: 100, maxInFlight: 2 });
    await producer.connect();
    const progress: number[] = [];
    const result = await replay(() => frames(1000), {
      producer,
      onProgress: (p) => progress.push(p.framesRead),
      progressEveryMs: 0,
    });
    await producer.close();

    expect(result).toEqual({
      framesRead: 1000,
      probeRequests: 750,
      produced: 1000,
      acknowledged: 1000,
      skipped: 0,
      passes: 1,
    });
    expect(progress.at(-1)).toBe(1000);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1000);

    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 1000);
    await consumer.disconnect();
    const first = records.find((r) => JSON.parse(String(r.message.value)).timestamp === String(T0 + 10));
    expect(String(first?.message.key)).toBe('a4:83:e7:00:00:01');
    expect(JSON.parse(String(first?.message.value))).toEqual(frame(1));
    // One MAC, one partition: keys are what the default partitioner sees.
    const partitionsOf = new Map<string, Set<number>>();
    for (const r of records) {
      const set = partitionsOf.get(String(r.message.key)) ?? new Set();
      set.add(r.partition);
      partitionsOf.set(String(r.message.key), set);
    }
    expect([...partitionsOf.values()].every((set) => set.size === 1)).toBe(true);
    expect(partitionsOf.size).toBe(16);
  });

  it('paces frames by capture time and moves looped passes to the present', async () => {
    const topic = uniqueName('pcap');
    await createTopics(admin, { [topic]: 1 });
    const producer = new CaptureProducer({ kafka, topic, lingerMs: 0 });
    await producer.connect();
    const controller = new AbortController();
    const started = Date.now();
    const result = await replay(() => frames(5), {
      producer,
      speed: 1,
      loop: true,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.framesRead >= 12) controller.abort();
      },
      progressEveryMs: 0,
    });
    await producer.close();
    expect(result.framesRead).toBe(12);
    expect(result.passes).toBe(3);
    expect(result.acknowledged).toBe(12);

    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 12);
    await consumer.disconnect();
    const timestamps = records.map((r) => Number(JSON.parse(String(r.message.value)).timestamp));
    expect(timestamps.every((ts) => ts >= started && ts <= Date.now())).toBe(true);
    // Within a pass, frames keep their capture spacing; the next pass starts after the last one's end.
    const [first, , , , last, next] = timestamps as [number, number, number, number, number, number];
    expect(timestamps.slice(0, 5).map((ts) => ts - first)).toEqual([0, 10, 20, 30, 40]);
    expect(last - first).toBe(40);
    expect(next).toBeGreaterThanOrEqual(last);
  });

  it('splits a batch whose records pass 1 MiB in one partition into requests the broker takes', async () => {
    const topic = uniqueName('pcap');
    await createTopics(admin, { [topic]: 1 });
    const producer = new CaptureProducer({ kafka, topic });
    await producer.connect();
    expect(producer.maxMessageBytes).toBe(1_048_588);
    // 40 records of 200 KB among 200 small ones: 8 MB, one key, one partition, one batch of the producer.
    const list = Array.from({ length: 240 }, (_, i) => (i % 6 === 0 ? longSsidFrame(i, 200_000) : frame(i)));
    const result = await replay(() => mixed(list), { producer });
    await producer.close();
    expect(result).toMatchObject({ framesRead: 240, produced: 240, acknowledged: 240, skipped: 0 });
    expect(await producedRecords(admin, topic)).toBe(240);
  });

  it("skips a frame larger than the topic's max.message.bytes, says which, and writes every other one", async () => {
    const topic = uniqueName('pcap');
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: '65536' }] }],
      waitForLeaders: true,
    });
    const skipped: SkippedRecord[] = [];
    const producer = new CaptureProducer({ kafka, topic, onSkipped: (s) => skipped.push(s) });
    await producer.connect();
    expect(producer.maxMessageBytes).toBe(65_536);
    // 50 KB fits the topic, but two of them do not fit one request; 70 KB does not fit at all.
    const list = [frame(0), longSsidFrame(1, 50_000), longSsidFrame(2, 70_000), longSsidFrame(3, 50_000)];
    const result = await replay(() => mixed(list), { producer });
    await producer.close();
    expect(result).toMatchObject({ framesRead: 4, produced: 3, acknowledged: 3, skipped: 1 });
    expect(await producedRecords(admin, topic)).toBe(3);
    const bytes =
      Buffer.byteLength(JSON.stringify(longSsidFrame(2, 70_000))) + '02:00:00:00:00:97'.length + 36;
    expect(skipped).toEqual([
      { key: '02:00:00:00:00:97', timestamp: String(T0 + 20), bytes, limit: 65_536 - 80 },
    ]);
  });

  it('skips a frame larger than the broker default on a topic with no limit of its own', async () => {
    const topic = uniqueName('pcap');
    await createTopics(admin, { [topic]: 1 });
    const producer = new CaptureProducer({ kafka, topic, lingerMs: 0 });
    await producer.connect();
    const result = await replay(() => mixed([frame(0), longSsidFrame(1, 2_000_000), frame(2)]), {
      producer,
    });
    await producer.close();
    expect(result).toMatchObject({ framesRead: 3, produced: 2, acknowledged: 2, skipped: 1 });
    expect(await producedRecords(admin, topic)).toBe(2);
  });

  it('fails with CAPTURE_PRODUCE_FAILED when Kafka does not take the records', async () => {
    const impatient = new Kafka({
      clientId: uniqueName('impatient'),
      brokers: inject('kafkaBrokers').split(','),
      logLevel: logLevel.NOTHING,
      retry: { retries: 1, initialRetryTime: 50 },
    });
    const producer = new CaptureProducer({
      kafka: impatient,
      topic: uniqueName('no-such-topic'),
      lingerMs: 0,
    });
    await producer.connect();
    await producer.write(frame(1));
    const failure = await producer.flush().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CaptureError);
    expect((failure as CaptureError).code).toBe('CAPTURE_PRODUCE_FAILED');
    expect((failure as CaptureError).message).toMatch(
      /^Kafka did not acknowledge records for topic no-such-topic-/,
    );
    await expect(producer.write(frame(2))).rejects.toThrow(CaptureError);
    await producer.close().catch(() => {});
  });
});
