import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type KafkaStreams, Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, testStreams, useStreamsTestContext } from '../../support/streams.js';

function countTopology(input: string, output: string) {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(input, { valueSerde: Serdes.String() })
    .groupByKey()
    .count('counts')
    .toStream()
    .to(output, { valueSerde: Serdes.Long() });
  return builder.build();
}

/** Follows a count topic and keeps the latest count per key. */
async function followCounts(kafka: Kafka, topic: string) {
  const latest = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: uniqueName('follower'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      latest.set(message.key?.toString() ?? '', Number(message.value?.readBigInt64BE(0)));
    },
  });
  return { latest, stop: () => consumer.disconnect() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('several instances of one application', () => {
  const context = useStreamsTestContext();

  it('keeps counts exact while an instance joins and another leaves mid-stream', {
    timeout: 120_000,
  }, async () => {
    const [input, output] = [uniqueName('scale-in'), uniqueName('scale-out')];
    const applicationId = uniqueName('scale-app');
    await createTopics(context.admin, { [input]: 6, [output]: 6 });
    // Exact counts across rebalances are exactly-once's promise: under at-least-once kafkajs rejoins without
    // waiting for the commit in flight, and a record may be counted twice (see the README's known limits).
    const start = (server: string) => {
      const streams = testStreams(countTopology(input, output), {
        applicationId,
        applicationServer: server,
        processingGuarantee: 'exactly_once',
      });
      context.running.push(streams);
      return streams;
    };
    const a = start('127.0.0.1:7001');
    const b = start('127.0.0.1:7002');
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.waitForState('RUNNING'), b.waitForState('RUNNING')]);

    const follower = await followCounts(context.kafka, output);
    const producer = context.kafka.producer();
    await producer.connect();
    const truth = new Map<string, number>();
    let c: KafkaStreams | undefined;
    for (let round = 0; round < 30; round++) {
      const messages = Array.from({ length: 100 }, (_, i) => {
        const key = `device-${(round * 7 + i) % 60}`;
        truth.set(key, (truth.get(key) ?? 0) + 1);
        return { key, value: `r${round}-${i}` };
      });
      await producer.send({ topic: input, messages });
      if (round === 8) {
        c = start('127.0.0.1:7003');
        await c.start();
      }
      if (round === 18) await a.close();
      await sleep(150);
    }
    await producer.disconnect();
    expect(a.state).toBe('NOT_RUNNING');

    await eventually(
      () => follower.latest,
      (latest) => [...truth].every(([key, count]) => latest.get(key) === count),
      60_000,
    );
    await follower.stop();
    expect([...truth.values()].reduce((x, y) => x + y, 0)).toBe(3000);

    // The two survivors share the six tasks, and each knows who owns what.
    await Promise.all([b.waitForState('RUNNING'), c?.waitForState('RUNNING')]);
    const clients = await eventually(
      () => b.metadataForAllStreamsClients(),
      (list) => list.length === 2 && list.every((client) => client.activeTasks.length === 3),
    );
    expect(clients.map((client) => client.hostInfo).sort()).toEqual(['127.0.0.1:7002', '127.0.0.1:7003']);
    for (const key of ['device-0', 'device-1', 'device-59']) {
      const where = b.queryMetadataForKey('counts', key);
      const owner = where.activeHost === '127.0.0.1:7002' ? b : c;
      expect(owner?.store<string, number>('counts').get(key)).toBe(truth.get(key));
      expect((owner === b ? c : b)?.store<string, number>('counts').get(key)).toBeUndefined();
    }
  });

  it('resumes from its committed offsets after close() mid-stream, losing nothing', {
    timeout: 90_000,
  }, async () => {
    const [input, output] = [uniqueName('resume-in'), uniqueName('resume-out')];
    const applicationId = uniqueName('resume-app');
    await createTopics(context.admin, { [input]: 2, [output]: 2 });
    const first = testStreams(countTopology(input, output), { applicationId, commitIntervalMs: 100 });
    context.running.push(first);
    await first.start();
    await first.waitForState('RUNNING');

    // Records keep arriving while the first instance runs, and after it has closed.
    const producer = context.kafka.producer();
    await producer.connect();
    const truth = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const messages = Array.from({ length: 500 }, (_, i) => {
        const key = `k${(batch + i) % 25}`;
        truth.set(key, (truth.get(key) ?? 0) + 1);
        return { key, value: String(i) };
      });
      await producer.send({ topic: input, messages });
      if (batch === 8) await first.close();
      await sleep(50);
    }
    await producer.disconnect();
    const committed =
      (await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] }))[0]?.partitions ?? [];
    const committedTotal = committed.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committedTotal).toBeGreaterThan(0);
    expect(committedTotal).toBeLessThan(10_000);

    const second = testStreams(countTopology(input, output), { applicationId });
    context.running.push(second);
    await second.start();
    await second.waitForState('RUNNING');
    const store = second.store<string, number>('counts');
    await eventually(
      () => Object.fromEntries([...truth.keys()].map((key) => [key, store.get(key)])),
      (counts) => [...truth].every(([key, count]) => counts[key] === count),
    );
    // The second instance had work left: what the first committed was not processed again.
    const consumedBySecond = (await second.metrics.recordsConsumed.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );
    expect(consumedBySecond).toBe(10_000 - committedTotal);
    await second.close();
  });
});
