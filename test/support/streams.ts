import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, inject } from 'vitest';
import { KafkaStreams, type StreamsConfigInput, type Topology } from '../../src/topology/index.js';
import { testKafka } from './kafka.js';
import { testProducerClient } from './producer-client.js';

/** Creates topics for one test; every name should come from uniqueName(). */
export async function createTopics(admin: Admin, topics: Record<string, number>): Promise<void> {
  await admin.createTopics({
    topics: Object.entries(topics).map(([topic, numPartitions]) => ({ topic, numPartitions })),
    waitForLeaders: true,
  });
}

const stateDirs: string[] = [];
process.once('exit', () => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** A state directory of its own, removed when the test process exits. */
export function newStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'probestream-state-'));
  stateDirs.push(dir);
  return dir;
}

/**
 * A KafkaStreams instance on the run's broker, with test-friendly settings and the given overrides. Each
 * instance gets its own state directory unless given one, as separate machines would have.
 */
export function testStreams(
  topology: Topology,
  config: Partial<StreamsConfigInput> & { applicationId: string },
): KafkaStreams {
  return new KafkaStreams(topology, {
    bootstrapServers: inject('kafkaBrokers'),
    commitIntervalMs: 200,
    sessionTimeoutMs: 10_000,
    stateDir: newStateDir(),
    ...testProducerClient(),
    ...config,
  });
}

/** Polls `read` until `done` holds for its answer, or fails after `timeoutMs` showing the last answer. */
export async function eventually<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last, replacer)}`);
}

function replacer(_key: string, value: unknown) {
  if (value instanceof Map) return Object.fromEntries(value);
  if (typeof value === 'bigint') return String(value);
  return value;
}

/** Reads a whole topic from the beginning into a latest-value-per-key map, with a throwaway group. */
export async function readTable(kafka: Kafka, topic: string, expectedRecords: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({
    groupId: `reader-${topic}-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 200,
  });
  const table = new Map<string, string | null>();
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${seen} of ${expectedRecords} records of ${topic}`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          table.set(message.key?.toString() ?? '', message.value === null ? null : message.value.toString());
          seen += 1;
          if (seen >= expectedRecords) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return { table, seen };
}

export { testKafka };

/** The clients a file of integration tests shares, and the instances it started (closed after the file). */
export interface StreamsTestContext {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Engines (KafkaStreams, WorkerStreams) closed after the file. */
  readonly running: { close(): Promise<void> }[];
}

/** Registers beforeAll/afterAll hooks that connect an admin client, and close every instance started. */
export function useStreamsTestContext(): StreamsTestContext {
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  const running: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(running.map((streams) => streams.close()));
    await admin?.disconnect();
    // Worker processes may end without an 'exit' event: remove this file's state directories now.
    for (const dir of stateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get kafka() {
      if (!kafka) throw new Error('the test context is not connected yet: use it inside a test');
      return kafka;
    },
    get admin() {
      if (!admin) throw new Error('the test context is not connected yet: use it inside a test');
      return admin;
    },
    running,
  };
}

/** Records an instance dropped for `reason` (`probestream_dropped_records_total`), over all its nodes. */
export async function droppedRecords(streams: KafkaStreams, reason: string): Promise<number> {
  return (await streams.metrics.droppedRecords.get()).values
    .filter((v) => v.labels.reason === reason)
    .reduce((sum, v) => sum + v.value, 0);
}

/** Records an instance restored into its stores from changelogs (and source topics). */
export async function restoredRecords(streams: KafkaStreams): Promise<number> {
  return (await streams.metrics.restoredRecords.get()).values.reduce((n, v) => n + v.value, 0);
}

/** The input offsets a group has committed, summed over the topic's partitions. */
export async function committedRecords(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}
