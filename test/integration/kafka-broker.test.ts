import { type Admin, ConfigResourceTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeRecords, testKafka, uniqueName } from '../support/kafka.js';

/**
 * Pins what probestream relies on from kafkajs against the real Apache Kafka 4.x broker of the test run.
 * Each test owns its topics and group ids.
 */
describe('kafkajs against the Kafka 4.x broker', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('creates a compacted topic, reports its config, and deletes it', async () => {
    const topic = uniqueName('smoke-compacted');
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);

    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const described = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    expect(described.resources[0]?.configEntries).toEqual([
      expect.objectContaining({ configName: 'cleanup.policy', configValue: 'compact' }),
    ]);

    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('does not create a topic on first use: auto-creation is off', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(
        producer.send({ topic: uniqueName('smoke-missing'), messages: [{ value: 'x' }] }),
      ).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|not available/i);
    } finally {
      await producer.disconnect();
    }
  });

  it('writes with an idempotent producer and reads every record back once, in order', async () => {
    const topic = uniqueName('smoke-idempotent');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const metadata = await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}` })),
    });
    await producer.disconnect();
    expect(metadata).toEqual([expect.objectContaining({ topicName: topic, partition: 0, baseOffset: '0' })]);

    const consumer = kafka.consumer({ groupId: uniqueName('smoke-idempotent-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 50);
    await consumer.disconnect();

    expect(records.map((r) => r.message.value?.toString())).toEqual(
      Array.from({ length: 50 }, (_, i) => `v${i}`),
    );
    expect(records.map((r) => r.message.offset)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, offset: '50' })]);
  });

  it('joins a consumer group, consumes every partition and commits the offsets it processed', async () => {
    const topic = uniqueName('smoke-group');
    const groupId = uniqueName('smoke-group-id');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [0, 1, 2].flatMap((partition) =>
        Array.from({ length: 4 }, (_, i) => ({ partition, value: `p${partition}-${i}` })),
      ),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const records = await consumeRecords(consumer, 12, 30_000, async ({ partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
    });

    const [group] = (await admin.describeGroups([groupId])).groups;
    expect(group?.state).toBe('Stable');
    expect(group?.protocolType).toBe('consumer');
    expect(group?.members).toHaveLength(1);
    await consumer.disconnect();

    expect(records).toHaveLength(12);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '4', metadata: null },
      { partition: 1, offset: '4', metadata: null },
      { partition: 2, offset: '4', metadata: null },
    ]);
  });

  it('commits a transaction with sendOffsets, and a read_committed consumer sees only committed records', async () => {
    const input = uniqueName('smoke-tx-input');
    const output = uniqueName('smoke-tx-output');
    const processorGroup = uniqueName('smoke-tx-processor');
    await admin.createTopics({
      topics: [
        { topic: input, numPartitions: 1 },
        { topic: output, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });

    const producer = kafka.producer({
      transactionalId: uniqueName('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
    await committed.sendOffsets({
      consumerGroupId: processorGroup,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }],
    });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'aborted-1' }] });
    await aborted.abort();

    const last = await producer.transaction();
    await last.send({ topic: output, messages: [{ value: 'committed-3' }] });
    await last.commit();
    await producer.disconnect();

    // The offsets sent inside the committed transaction are the processor group's committed offsets.
    const offsets = await admin.fetchOffsets({ groupId: processorGroup, topics: [input] });
    expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: '7', metadata: null }]);

    const readCommitted = kafka.consumer({ groupId: uniqueName('smoke-tx-rc'), readUncommitted: false });
    await readCommitted.connect();
    await readCommitted.subscribe({ topic: output, fromBeginning: true });
    const seen = await consumeRecords(readCommitted, 3);
    await readCommitted.disconnect();
    expect(seen.map((r) => r.message.value?.toString())).toEqual([
      'committed-1',
      'committed-2',
      'committed-3',
    ]);

    // The aborted record is in the log all the same: a read_uncommitted consumer sees it.
    const readUncommitted = kafka.consumer({ groupId: uniqueName('smoke-tx-ru'), readUncommitted: true });
    await readUncommitted.connect();
    await readUncommitted.subscribe({ topic: output, fromBeginning: true });
    const all = await consumeRecords(readUncommitted, 4);
    await readUncommitted.disconnect();
    expect(all.map((r) => r.message.value?.toString())).toEqual([
      'committed-1',
      'committed-2',
      'aborted-1',
      'committed-3',
    ]);
  });
});
