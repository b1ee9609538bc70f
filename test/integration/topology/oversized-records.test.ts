import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  type ProcessingGuarantee,
  Serdes,
  StreamsBuilder,
  type StreamsError,
  writeSkip,
} from '../../../src/topology/index.js';
import { consumeRecords, uniqueName } from '../../support/kafka.js';
import {
  createTopics,
  eventually,
  readTable,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

/** Sends each record in a request of its own: a test producer must not itself pass the broker's limit. */
async function sendOneByOne(
  kafka: Kafka,
  topic: string,
  messages: { key?: string; value: string; partition?: number }[],
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (const message of messages) await producer.send({ topic, messages: [message] });
  await producer.disconnect();
}

async function readAll(kafka: Kafka, topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await consumeRecords(consumer, count, 30_000);
  } finally {
    await consumer.disconnect();
  }
}

const headersOf = (message: { headers?: Record<string, unknown> }) =>
  Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));

describe('records near and over the broker limit, on the real broker', () => {
  const context = useStreamsTestContext();

  for (const guarantee of ['at_least_once', 'exactly_once'] as ProcessingGuarantee[]) {
    it(`commits large records whose sum passes 1 MiB per partition (${guarantee})`, async () => {
      const input = uniqueName('large-in');
      await createTopics(context.admin, { [input]: 1 });
      const builder = new StreamsBuilder();
      builder
        .stream<string, string>(input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
        .selectKey((_key, value) => value)
        .groupByKey({ name: 'by-value' })
        .count('counts');
      const streams = testStreams(builder.build(), {
        applicationId: uniqueName('large-app'),
        processingGuarantee: guarantee,
        commitIntervalMs: 2000,
      });
      context.running.push(streams);
      await streams.start();
      await streams.waitForState('RUNNING');
      // Each repartition record carries its 300,000-character value twice (key and value): two of them
      // already pass 1 MiB, and all six land in one partition's share of one commit.
      const values = [...'abcdef'].map((c) => c.repeat(300_000));
      await sendOneByOne(
        context.kafka,
        input,
        [...values, 'small'].map((value) => ({ value })),
      );

      const counts = streams.store<string, number>('counts');
      await eventually(
        () => counts.get('small'),
        (n) => n === 1,
      );
      expect(values.map((value) => counts.get(value))).toEqual([1, 1, 1, 1, 1, 1]);
      expect(streams.state).toBe('RUNNING');
    });
  }

  it('sends a record too large for its sink to the DLQ, cut to fit, in its partition, and goes on', async () => {
    const [input, output] = [uniqueName('grow-in'), uniqueName('grow-out')];
    const applicationId = uniqueName('grow-app');
    // An older DLQ of one partition is widened to the input's three.
    await createTopics(context.admin, { [input]: 3, [output]: 3, [`${applicationId}-dlq`]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>(input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .mapValues((value) => value.repeat(8))
      .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const streams = testStreams(builder.build(), { applicationId });
    context.running.push(streams);
    await streams.start();
    await streams.waitForState('RUNNING');
    await sendOneByOne(context.kafka, input, [
      { key: 'big', value: 'x'.repeat(200_000), partition: 2 },
      { key: 'ok', value: 'ok', partition: 2 },
    ]);

    const { table } = await readTable(context.kafka, output, 1);
    expect(Object.fromEntries(table)).toEqual({ ok: 'okokokokokokokok' });
    const [dead] = await readAll(context.kafka, `${applicationId}-dlq`, 1);
    expect(dead?.partition).toBe(2);
    expect(dead?.message.key?.toString()).toBe('big');
    expect(dead?.message.value?.toString()).toMatch(/^x{1000,}$/);
    expect(dead?.message.value?.length).toBeLessThan(1_048_576);
    expect(headersOf(dead?.message ?? {})).toMatchObject({
      'probestream.error.code': 'RECORD_TOO_LARGE',
      'probestream.error.class': 'RecordTooLargeError',
      'probestream.target.topic': output,
      'probestream.source.topic': input,
      'probestream.source.partition': '2',
      'probestream.source.offset': '0',
      'probestream.original.value.bytes': '1600000',
    });
    const metadata = await context.admin.fetchTopicMetadata({ topics: [`${applicationId}-dlq`] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const errors = (await streams.metrics.productionErrors.get()).values;
    expect(errors).toEqual([
      expect.objectContaining({ labels: { topic: output, reason: 'RECORD_TOO_LARGE' }, value: 1 }),
    ]);
    expect(streams.state).toBe('RUNNING');
  });

  it("with 'fail', stops on the record every time until it is skipped, then processes the rest", async () => {
    const [input, output] = [uniqueName('fail-in'), uniqueName('fail-out')];
    const applicationId = uniqueName('fail-app');
    await createTopics(context.admin, { [input]: 1, [output]: 1 });
    const topology = () => {
      const builder = new StreamsBuilder();
      builder
        .stream<string, string>(input, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
        .mapValues((value) => value.repeat(8))
        .to(output, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
      return builder.build();
    };
    await sendOneByOne(context.kafka, input, [
      { key: 'a', value: 'a' },
      { key: 'big', value: 'x'.repeat(200_000) },
      { key: 'b', value: 'b' },
    ]);
    const failOnce = async () => {
      const streams = testStreams(topology(), { applicationId, productionExceptionHandler: 'fail' });
      context.running.push(streams);
      const failed = new Promise<Error>((resolve) => streams.setUncaughtExceptionHandler(resolve));
      await streams.start();
      const error = (await failed) as StreamsError;
      await eventually(
        () => streams.state,
        (state) => state === 'NOT_RUNNING',
      );
      return error;
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await failOnce();
      expect(error.code).toBe('RECORD_TOO_LARGE');
      expect(error.record).toEqual({ topic: input, partition: 0, offset: '1' });
      expect(error.message).toMatch(new RegExp(`^processing ${input}-0@1: a record of \\d+ bytes`));
    }

    const producer = context.kafka.producer();
    await producer.connect();
    await writeSkip(
      context.admin,
      producer,
      applicationId,
      { topic: input, partition: 0, offset: '1' },
      'test',
    );
    await producer.disconnect();
    const streams = testStreams(topology(), { applicationId, productionExceptionHandler: 'fail' });
    context.running.push(streams);
    await streams.start();
    const received = await readAll(context.kafka, output, 2);
    expect(received.map((r) => [r.message.key?.toString(), r.message.value?.toString()])).toEqual([
      ['a', 'aaaaaaaa'],
      ['b', 'bbbbbbbb'],
    ]);
    const [dead] = await readAll(context.kafka, `${applicationId}-dlq`, 1);
    expect(dead?.message.value?.length).toBe(200_000);
    expect(headersOf(dead?.message ?? {})).toMatchObject({
      'probestream.error.code': 'RECORD_SKIPPED',
      'probestream.source.offset': '1',
    });
    expect(streams.state).toBe('RUNNING');
  });
});
