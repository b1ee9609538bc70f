import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type ITopicConfig, Kafka, logLevel, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  PartitionReader,
  PartitionReaderError,
  type ReadRecord,
} from '../../src/topology/kafka/partition-reader.js';
import { testKafka, uniqueName } from '../support/kafka.js';

/** A record as a test compares it: buffers as strings. */
interface Plain {
  offset: string;
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: Record<string, string | string[]>;
}

function plain(record: ReadRecord): Plain {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return {
    offset: record.offset,
    key: record.key?.toString() ?? null,
    value: record.value?.toString() ?? null,
    timestamp: record.timestamp,
    headers,
  };
}

async function readAll(
  reader: PartitionReader,
  topic: string,
  partition: number,
  fromOffset: bigint,
  toOffset: bigint,
): Promise<{ records: ReadRecord[]; calls: number; next: bigint }> {
  const records: ReadRecord[] = [];
  let calls = 0;
  const next = await reader.read(topic, partition, fromOffset, toOffset, (batch) => {
    calls++;
    records.push(...batch);
  });
  return { records, calls, next };
}

const offsetsOf = (records: readonly ReadRecord[]) => records.map((r) => r.offset);
const valuesOf = (records: readonly ReadRecord[]) => records.map((r) => r.value?.toString() ?? null);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('PartitionReader against the Kafka 4.x broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let committed: PartitionReader;
  let uncommitted: PartitionReader;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    committed = new PartitionReader(kafka);
    uncommitted = new PartitionReader(kafka, { isolation: 'read_uncommitted' });
    await Promise.all([admin.connect(), committed.connect(), uncommitted.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), committed?.disconnect(), uncommitted?.disconnect()]);
  });

  async function createTopic(
    prefix: string,
    numPartitions = 1,
    configEntries?: ITopicConfig['configEntries'],
  ) {
    const topic = uniqueName(prefix);
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries }], waitForLeaders: true });
    return topic;
  }

  async function produce(topic: string, messages: Message[]): Promise<void> {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  it('reads exactly the offsets [from, to) of one partition, with keys, values, headers and timestamps intact', async () => {
    const topic = await createTopic('reader-range', 3);
    const message = (partition: number, i: number): Message => ({
      partition,
      key: `p${partition}-k${i}`,
      value: i === 6 ? null : `p${partition}-v${i}`,
      timestamp: String(1_700_000_000_000 + partition * 1000 + i),
      headers: { source: `p${partition}`, seq: [String(i), 'again'] },
    });
    await produce(
      topic,
      [0, 1, 2].flatMap((partition) => range(0, 10).map((i) => message(partition, i))),
    );

    const { records, next } = await readAll(committed, topic, 1, 3n, 8n);

    expect(next).toBe(8n);
    expect(records.map(plain)).toEqual(
      range(3, 8).map((i) => ({
        offset: String(i),
        key: `p1-k${i}`,
        value: i === 6 ? null : `p1-v${i}`,
        timestamp: String(1_700_000_001_000 + i),
        headers: { source: 'p1', seq: [String(i), 'again'] },
      })),
    );
  });

  it('returns at once from an empty partition without calling onBatch, and needs no broker to read no offsets', async () => {
    const topic = await createTopic('reader-empty');

    expect(await committed.startOffset(topic, 0)).toBe(0n);
    expect(await committed.endOffset(topic, 0)).toBe(0n);
    const { calls, next } = await readAll(committed, topic, 0, 0n, 0n);
    expect(next).toBe(0n);
    expect(calls).toBe(0);

    const neverConnected = new PartitionReader(kafka);
    expect(await neverConnected.read(topic, 0, 0n, 0n, () => expect.fail('no records to deliver'))).toBe(0n);
  });

  describe('with transactions', () => {
    let topic: string;

    // offsets: 0 c1, 1 c2, 2 commit marker, 3 a1, 4 abort marker, 5 c3, 6 commit marker
    beforeAll(async () => {
      topic = await createTopic('reader-tx');
      const producer = kafka.producer({
        transactionalId: uniqueName('reader-tx'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      try {
        const first = await producer.transaction();
        await first.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] });
        await first.commit();
        const aborted = await producer.transaction();
        await aborted.send({ topic, messages: [{ value: 'a1' }] });
        await aborted.abort();
        const last = await producer.transaction();
        await last.send({ topic, messages: [{ value: 'c3' }] });
        await last.commit();
      } finally {
        await producer.disconnect();
      }
    });

    it('under read_committed skips the aborted transaction and the control records, and passes their offsets', async () => {
      // The coordinator writes the last commit marker after it has answered the commit.
      await expect.poll(() => committed.endOffset(topic, 0)).toBe(7n);

      const { records, next } = await readAll(committed, topic, 0, 0n, 7n);

      expect(next).toBe(7n);
      expect(offsetsOf(records)).toEqual(['0', '1', '5']);
      expect(valuesOf(records)).toEqual(['c1', 'c2', 'c3']);
    });

    it('under read_uncommitted delivers the aborted records but still no control records', async () => {
      const { records, next } = await readAll(uncommitted, topic, 0, 0n, 7n);

      expect(next).toBe(7n);
      expect(offsetsOf(records)).toEqual(['0', '1', '3', '5']);
      expect(valuesOf(records)).toEqual(['c1', 'c2', 'a1', 'c3']);
    });
  });

  it('gives the high watermark as endOffset, and under read_committed the last stable offset before an open transaction', async () => {
    const topic = await createTopic('reader-end');
    await produce(
      topic,
      range(0, 5).map((i) => ({ value: `plain-${i}` })),
    );

    expect(await committed.endOffset(topic, 0)).toBe(5n);
    expect(await uncommitted.endOffset(topic, 0)).toBe(5n);
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      expect.objectContaining({ partition: 0, high: '5' }),
    ]);

    const producer = kafka.producer({
      transactionalId: uniqueName('reader-end-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const open = await producer.transaction();
      await open.send({ topic, messages: range(0, 3).map((i) => ({ value: `open-${i}` })) });

      expect(await uncommitted.endOffset(topic, 0)).toBe(8n);
      expect(await committed.endOffset(topic, 0)).toBe(5n);
      const { records, next } = await readAll(committed, topic, 0, 0n, 5n);
      expect(next).toBe(5n);
      expect(valuesOf(records)).toEqual(range(0, 5).map((i) => `plain-${i}`));

      await open.commit();
      // The coordinator writes the commit marker after it has answered the commit.
      await expect.poll(() => committed.endOffset(topic, 0)).toBe(9n); // 3 records and the marker
    } finally {
      await producer.disconnect();
    }
  });

  it('restarts from the log start when the offsets it was asked to read from were deleted', async () => {
    const topic = await createTopic('reader-deleted');
    await produce(
      topic,
      range(0, 20).map((i) => ({ value: `v${i}` })),
    );
    // kafkajs's deleteTopicRecords finds the leader in metadata that only fetchTopicOffsets loads first.
    await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '12' }] });

    expect(await committed.startOffset(topic, 0)).toBe(12n);
    const { records, next } = await readAll(committed, topic, 0, 0n, 20n);

    expect(next).toBe(20n);
    expect(offsetsOf(records)).toEqual(range(12, 20).map(String));
    expect(valuesOf(records)).toEqual(range(12, 20).map((i) => `v${i}`));
  });

  it('fails with PARTITION_READER_OFFSET_BEYOND_END when fromOffset is beyond the partition end or toOffset', async () => {
    const topic = await createTopic('reader-beyond');
    await produce(
      topic,
      range(0, 5).map((i) => ({ value: `v${i}` })),
    );
    const beyondEnd = { name: 'PartitionReaderError', code: 'PARTITION_READER_OFFSET_BEYOND_END' };

    await expect(committed.read(topic, 0, 10n, 20n, () => {})).rejects.toMatchObject(beyondEnd);
    await expect(committed.read(topic, 0, 6n, 5n, () => {})).rejects.toMatchObject(beyondEnd);
    await expect(committed.read(topic, 0, 10n, 20n, () => {})).rejects.toBeInstanceOf(PartitionReaderError);
  });

  it('waits for offsets not yet written, and stops when its signal aborts', async () => {
    const topic = await createTopic('reader-wait');
    await produce(
      topic,
      range(0, 3).map((i) => ({ value: `v${i}` })),
    );

    const seen: string[] = [];
    const reading = committed.read(topic, 0, 0n, 5n, async (records) => {
      const first = seen.length === 0;
      seen.push(...valuesOf(records).map(String));
      if (first) await produce(topic, [{ value: 'v3' }, { value: 'v4' }]);
    });
    expect(await reading).toBe(5n);
    expect(seen).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(
      committed.read(topic, 0, 5n, 10n, () => expect.fail('nothing was written'), {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails with PARTITION_READER_FETCH_FAILED, after retrying, when the topic does not exist', async () => {
    const missing = uniqueName('reader-missing');
    // kafkajs logs every failed metadata request; here they are expected.
    const quiet = new Kafka({ brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    const reader = new PartitionReader(quiet);
    await reader.connect();

    const failure = reader.read(missing, 0, 0n, 1n, () => {});

    await expect(failure).rejects.toMatchObject({
      name: 'PartitionReaderError',
      code: 'PARTITION_READER_FETCH_FAILED',
      cause: expect.objectContaining({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }),
    });
    await expect(failure).rejects.toThrow(`cannot fetch ${missing}-0 at offset 0 after 8 attempts`);
    await reader.disconnect();
  });

  it('fails with PARTITION_READER_NOT_CONNECTED when used before connect', async () => {
    const reader = new PartitionReader(kafka);

    await expect(reader.endOffset('any', 0)).rejects.toMatchObject({
      code: 'PARTITION_READER_NOT_CONNECTED',
    });
    await expect(reader.read('any', 0, 0n, 1n, () => {})).rejects.toMatchObject({
      code: 'PARTITION_READER_NOT_CONNECTED',
    });
  });

  it('reads a compacted partition across its gaps, up to a toOffset whose last offset was compacted away', async () => {
    const topic = await createTopic('reader-compacted', 1, [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.ms', value: '100' },
      { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      { name: 'delete.retention.ms', value: '100' },
    ]);
    // Rounds of updates to five keys, each round in a segment of its own: a segment rolls on the first
    // append after segment.ms, and only rolled segments are compacted.
    const latest = new Map<string, string>();
    for (let round = 0; round < 6; round++) {
      const messages = range(0, 50).map((i) => ({ key: `k${i % 5}`, value: `r${round}-${i}` }));
      await produce(topic, messages);
      for (const { key, value } of messages) latest.set(key, value);
      await sleep(150);
    }
    await produce(topic, [{ key: 'k-last', value: 'last' }]);
    latest.set('k-last', 'last');
    const end = await committed.endOffset(topic, 0);
    expect(end).toBe(301n);

    let read = await readAll(committed, topic, 0, 0n, end);
    const deadline = Date.now() + 20_000;
    while (read.records.length === Number(end) && Date.now() < deadline) {
      await sleep(500);
      read = await readAll(committed, topic, 0, 0n, end);
    }
    const { records, next } = read;

    expect(records.length).toBeLessThan(Number(end)); // the cleaner ran: offsets are missing
    expect(next).toBe(end);
    const offsets = records.map((r) => Number(r.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    const restored = new Map(records.map((r) => [String(r.key), String(r.value)]));
    expect(restored).toEqual(latest);

    // A gap with records after it: read up to just past it, then from inside it.
    const present = new Set(offsets);
    const gap = range(1, Number(end)).find((o) => !present.has(o) && offsets.some((p) => p > o)) ?? -1;
    expect(gap).toBeGreaterThan(0);
    const gapOffset = BigInt(gap);
    const upToGap = await readAll(committed, topic, 0, 0n, gapOffset + 1n);
    expect(upToGap.next).toBe(gapOffset + 1n);
    expect(offsetsOf(upToGap.records)).toEqual(offsets.filter((o) => o < gap).map(String));
    const fromGap = await readAll(committed, topic, 0, gapOffset, end);
    expect(fromGap.next).toBe(end);
    expect(offsetsOf(fromGap.records)).toEqual(offsets.filter((o) => o > gap).map(String));
  });

  it('delivers 20,000 records in order, none missing, over several fetches', async () => {
    const topic = await createTopic('reader-many');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let from = 0; from < 20_000; from += 2_000) {
        await producer.send({
          topic,
          messages: range(from, from + 2_000).map((i) => ({ key: `k${i % 100}`, value: `v${i}` })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const reader = new PartitionReader(kafka, { maxBytes: 64 * 1024 });
    await reader.connect();
    try {
      const { records, calls, next } = await readAll(reader, topic, 0, 0n, 20_000n);

      expect(next).toBe(20_000n);
      expect(calls).toBeGreaterThan(5);
      expect(offsetsOf(records)).toEqual(range(0, 20_000).map(String));
      expect(valuesOf(records)).toEqual(range(0, 20_000).map((i) => `v${i}`));
    } finally {
      await reader.disconnect();
    }
  });
});
