import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, StreamsError } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import {
  createTopics,
  eventually,
  readTable,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

describe('joins, repartitioning and the dead-letter queue on the real broker', () => {
  const context = useStreamsTestContext();

  it('joins a stream to a table after re-keying the stream with selectKey', async () => {
    const [orders, customers, output] = [
      uniqueName('orders'),
      uniqueName('customers'),
      uniqueName('enriched'),
    ];
    await createTopics(context.admin, { [orders]: 2, [customers]: 4, [output]: 1 });
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: customers,
      messages: [
        { key: 'c1', value: JSON.stringify({ name: 'Ada' }) },
        { key: 'c2', value: JSON.stringify({ name: 'Grace' }) },
      ],
    });

    const builder = new StreamsBuilder();
    const table = builder.table<string, { name: string }>(customers, { materialized: 'customers-store' });
    builder
      .stream<string, { customer: string; item: string }>(orders)
      .selectKey((_key, order) => order.customer)
      .leftJoin(table, (order, customer) => `${customer?.name ?? 'unknown'} bought ${order.item}`, {
        valueSerde: Serdes.String(),
      })
      .to(output, { valueSerde: Serdes.String() });
    const streams = testStreams(builder.build(), { applicationId: uniqueName('join-app') });
    context.running.push(streams);
    await streams.start();
    await streams.waitForState('RUNNING');
    // The table is read into its store before the orders arrive, so every join sees it.
    await eventually(
      () => streams.store<string, { name: string }>('customers-store').get('c2'),
      (value) => value?.name === 'Grace',
    );

    await producer.send({
      topic: orders,
      messages: [
        { key: 'o1', value: JSON.stringify({ customer: 'c1', item: 'tea' }) },
        { key: 'o2', value: JSON.stringify({ customer: 'c2', item: 'cake' }) },
        { key: 'o3', value: JSON.stringify({ customer: 'c9', item: 'jam' }) },
      ],
    });
    await producer.disconnect();
    const { table: results } = await readTable(context.kafka, output, 3);
    expect(Object.fromEntries(results)).toEqual({
      c1: 'Ada bought tea',
      c2: 'Grace bought cake',
      c9: 'unknown bought jam',
    });
  });

  it('refuses to start a join of topics that are not co-partitioned, naming both', async () => {
    const [left, right] = [uniqueName('left'), uniqueName('right')];
    await createTopics(context.admin, { [left]: 3, [right]: 2 });
    const builder = new StreamsBuilder();
    const table = builder.table(right);
    builder.stream(left).join(table, (a, b) => [a, b]);
    const streams = testStreams(builder.build(), { applicationId: uniqueName('copartition-app') });
    context.running.push(streams);
    const error = await streams.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamsError);
    expect(error).toMatchObject({ code: 'TOPICS_NOT_COPARTITIONED' });
    expect((error as Error).message).toContain(`${right} (2 partitions)`);
    expect((error as Error).message).toContain(`${left} (3 partitions)`);
    expect(streams.state).toBe('NOT_RUNNING');
  });

  it('sends an unreadable record to the DLQ with its reason and goes on with the next records', async () => {
    const [input, output] = [uniqueName('dlq-in'), uniqueName('dlq-out')];
    const applicationId = uniqueName('dlq-app');
    await createTopics(context.admin, { [input]: 1, [output]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream<string, { n: number }>(input)
      .mapValues((v) => v.n * 10, { valueSerde: Serdes.Long() })
      .to(output, { valueSerde: Serdes.Long() });
    const streams = testStreams(builder.build(), { applicationId });
    context.running.push(streams);
    await streams.start();
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [
        { key: 'a', value: '{"n": 1}' },
        { key: 'b', value: '{"n": 2', headers: { origin: 'sensor-7' } },
        { key: 'c', value: '{"n": 3}' },
      ],
    });
    await producer.disconnect();

    const { table } = await readTable(context.kafka, output, 2);
    expect([...table.keys()]).toEqual(['a', 'c']);

    const dlq = context.kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await dlq.connect();
    await dlq.subscribe({ topic: `${applicationId}-dlq`, fromBeginning: true });
    const dead = await new Promise<import('kafkajs').KafkaMessage>((resolve) => {
      void dlq.run({ eachMessage: async ({ message }) => resolve(message) });
    });
    await dlq.disconnect();
    const headers = Object.fromEntries(Object.entries(dead.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(dead.key?.toString()).toBe('b');
    expect(dead.value?.toString()).toBe('{"n": 2');
    expect(headers).toMatchObject({
      origin: 'sensor-7',
      'probestream.error.code': 'SERDE_DESERIALIZATION_FAILED',
      'probestream.source.topic': input,
      'probestream.source.partition': '0',
      'probestream.source.offset': '1',
    });
    expect(headers['probestream.error.message']).toMatch(/JSON/);
    const dlqCount = (await streams.metrics.dlqRecords.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(dlqCount).toBe(1);
    expect(streams.state).toBe('RUNNING');
  });

  it('stops in ERROR, naming the record, when user code throws', async () => {
    const input = uniqueName('boom-in');
    await createTopics(context.admin, { [input]: 1 });
    const failing = new StreamsBuilder();
    failing.stream<string, { n: number }>(input).peek((_k, v) => {
      if (v.n === 2) throw new Error('two is not allowed');
    });
    const streams = testStreams(failing.build(), {
      applicationId: uniqueName('boom-app'),
      processingExceptionHandler: 'fail',
    });
    context.running.push(streams);
    const failed = new Promise<Error>((resolve) => streams.setUncaughtExceptionHandler(resolve));
    await streams.start();
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages: [{ value: '{"n":1}' }, { value: '{"n":2}' }] });
    await producer.disconnect();
    const error = await failed;
    expect(error).toMatchObject({ code: 'PROCESSING_FAILED' });
    expect(error.message).toBe(
      `processor KSTREAM-PEEK-0000000001 failed on ${input}-0@1: two is not allowed`,
    );
    await eventually(
      () => streams.state,
      (state) => state === 'NOT_RUNNING',
    );
  });
});
