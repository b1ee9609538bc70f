import { type Admin, type Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionReader, type ReadRecord } from '../../src/topology/kafka/partition-reader.js';
import type { ProducedRecord } from '../../src/topology/kafka/record-batch.js';
import { createStreamsProducer, type StreamsProducer } from '../../src/topology/kafka/streams-producer.js';
import { isFenced, sendAll } from '../../src/topology/runtime/commit.js';
import { ProduceLimits } from '../../src/topology/runtime/produce-limits.js';
import { testKafka, uniqueName } from '../support/kafka.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function record(partition: number, i: number): ProducedRecord {
  return {
    partition,
    key: i % 5 === 4 ? null : Buffer.from(`p${partition}-k${i}`),
    value: i % 7 === 6 ? null : Buffer.from(`p${partition}-v${i}`),
    timestamp: String(1_700_000_000_000 + partition * 1000 + (i % 3) * 10_000 + i),
    ...(i % 2 === 0 ? { headers: { seq: String(i), twice: ['a', Buffer.from('b')] } } : {}),
  };
}

/** Headers with their values as strings, or nothing for a record without any. */
function headerStrings(headers: Record<string, unknown> | undefined) {
  if (!headers || Object.keys(headers).length === 0) return {};
  return {
    headers: Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
    ),
  };
}

/** Records as a reader sees them, in the shape the test wrote them in. */
function plain(records: readonly ReadRecord[], partition: number) {
  return records.map((r) => ({
    offset: r.offset,
    record: {
      partition,
      key: r.key,
      value: r.value,
      timestamp: r.timestamp,
      ...headerStrings(r.headers),
    },
  }));
}

function expected(records: readonly ProducedRecord[], firstOffset: number) {
  return records.map((r, i) => ({
    offset: String(firstOffset + i),
    record: {
      ...r,
      ...headerStrings(r.headers),
    },
  }));
}

describe('the native producer against the Kafka 4.x broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let committed: PartitionReader;
  const producers: StreamsProducer[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    committed = new PartitionReader(kafka);
    await Promise.all([admin.connect(), committed.connect()]);
  });

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await Promise.all([admin?.disconnect(), committed?.disconnect()]);
  });

  async function createTopic(prefix: string, numPartitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    return topic;
  }

  async function connected(
    options: Parameters<typeof createStreamsProducer>[2] = {},
    client: Kafka = kafka,
  ): Promise<StreamsProducer> {
    const producer = createStreamsProducer(client, 'native', options);
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  async function readAll(topic: string, partition: number, reader = committed) {
    const [end] = (await admin.fetchTopicOffsets(topic)).filter((o) => o.partition === partition);
    const records: ReadRecord[] = [];
    await reader.read(topic, partition, 0n, BigInt(end?.high ?? '0'), (batch) => {
      records.push(...batch);
    });
    return records;
  }

  it('writes records exactly, idempotently, returning each partition’s base offset', async () => {
    const [a, b] = [await createTopic('native-a', 3), await createTopic('native-b', 1)];
    const producer = await connected();
    const first = [0, 2].flatMap((p) => range(10).map((i) => record(p, i)));
    const second = range(4).map((i) => record(0, 10 + i));
    const other = range(3).map((i) => record(0, i));

    const produced = await producer.send([
      { topic: a, messages: first },
      { topic: b, messages: other },
    ]);
    const again = await producer.send([{ topic: a, messages: second }]);

    const sorted = (list: typeof produced) =>
      [...list].sort((x, y) => x.topic.localeCompare(y.topic) || x.partition - y.partition);
    expect(sorted(produced)).toEqual(
      sorted([
        { topic: a, partition: 0, baseOffset: 0n },
        { topic: a, partition: 2, baseOffset: 0n },
        { topic: b, partition: 0, baseOffset: 0n },
      ]),
    );
    expect(again).toEqual([{ topic: a, partition: 0, baseOffset: 10n }]);
    expect(plain(await readAll(a, 0), 0)).toEqual(expected([...first.slice(0, 10), ...second], 0));
    expect(plain(await readAll(a, 2), 2)).toEqual(expected(first.slice(10), 0));
    expect(await readAll(a, 1)).toEqual([]);
    expect(plain(await readAll(b, 0), 0)).toEqual(expected(other, 0));
  });

  it('splits a commit into requests by the limits, and gives the ends sendAll reports', async () => {
    const topic = await createTopic('native-split', 2);
    const producer = await connected();
    const records = [0, 1].flatMap((p) =>
      range(60).map((i) => ({ ...record(p, i), value: Buffer.alloc(100, i) })),
    );
    const requests: number[] = [];
    const ends = await sendAll(
      async (request) => {
        requests.push(request.reduce((sum, t) => sum + t.messages.length, 0));
        return producer.send(request);
      },
      [[topic, records]],
      new ProduceLimits(4096),
    );

    expect(requests.length).toBeGreaterThan(3);
    expect(requests.reduce((a, b) => a + b, 0)).toBe(120);
    expect(ends).toEqual(
      new Map([
        [`${topic}:0`, 60n],
        [`${topic}:1`, 60n],
      ]),
    );
    for (const p of [0, 1]) {
      expect(plain(await readAll(topic, p), p)).toEqual(expected(records.slice(p * 60, p * 60 + 60), 0));
    }
  });

  it('commits a transaction’s records and offsets; an aborted one leaves nothing read_committed', async () => {
    const topic = await createTopic('native-txn', 2);
    const input = await createTopic('native-txn-in', 1);
    const groupId = uniqueName('native-txn-group');
    const producer = await connected({ transactionalId: uniqueName('native-txn-id') });

    const aborted = await producer.transaction();
    await aborted.send([{ topic, messages: range(5).map((i) => record(0, i)) }]);
    expect(aborted.isActive()).toBe(true);
    await aborted.abort();
    expect(aborted.isActive()).toBe(false);

    const kept = range(4).map((i) => record(1, i));
    const transaction = await producer.transaction();
    const produced = await transaction.send([{ topic, messages: kept }]);
    await transaction.sendOffsets({
      consumerGroupId: groupId,
      topics: [{ topic: input, partitions: [{ partition: 0, offset: '42' }] }],
    });
    await transaction.commit();

    expect(produced).toEqual([{ topic, partition: 1, baseOffset: 0n }]);
    expect(await readAll(topic, 0)).toEqual([]);
    expect(plain(await readAll(topic, 1), 1)).toEqual(expected(kept, 0));
    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: '42', metadata: null }]);
  });

  it('surfaces fencing: a newer producer of the same transactional.id ends the older one’s transaction', async () => {
    const topic = await createTopic('native-fenced', 1);
    const transactionalId = uniqueName('native-fenced-id');
    // A client of its own, quiet: the older producer's failure is expected.
    const older = await connected({ transactionalId }, testKafkaQuiet());
    const transaction = await older.transaction();
    await transaction.send([{ topic, messages: [record(0, 0)] }]);

    const newer = await connected({ transactionalId });
    const outcome = await transaction
      .send([{ topic, messages: [record(0, 1)] }])
      .then(() => transaction.commit())
      .then(
        () => 'committed',
        (error: unknown) => (isFenced(error) ? 'fenced' : String(error)),
      );

    expect(outcome).toBe('fenced');
    const next = await newer.transaction();
    await next.send([{ topic, messages: [record(0, 2)] }]);
    await next.commit();
    expect((await readAll(topic, 0)).map((r) => r.value?.toString())).toEqual(['p0-v2']);
  });
});

function testKafkaQuiet(): Kafka {
  const kafka = testKafka();
  kafka.logger().setLogLevel(logLevel.NOTHING);
  return kafka;
}
