import type { Consumer } from 'kafkajs';
import type { CheckpointedStore, PendingWrites } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import { boundedRequests, recordSizeBound } from '../kafka/record-size.js';
import type { StreamsProducer, StreamsSender } from '../kafka/streams-producer.js';
import { nextTurn } from './event-loop-turns.js';
import type { ProduceLimits } from './produce-limits.js';
import type { BufferingRecordCollector, ResolvedRecord } from './record-collector.js';
import { isCheckpointed } from './restorer.js';
import type { StreamTask, TaskStore } from './task.js';

export type TopicPartitionOffset = { topic: string; partition: number; offset: string };

/** What one task hands to a commit: its output, its processed offsets, and its stores' pending writes. */
export interface PreparedTask {
  readonly task: StreamTask;
  readonly records: Map<string, ResolvedRecord[]>;
  readonly offsets: TopicPartitionOffset[];
  readonly writes: {
    readonly store: TaskStore;
    readonly durable: CheckpointedStore;
    readonly writes: PendingWrites;
  }[];
}

/**
 * Takes a task's state for a commit: caches flushed (changelog records join its output), output drained,
 * offsets and pending store writes captured. After this the task may go on processing.
 */
export function prepareTask(task: StreamTask, collector: BufferingRecordCollector): PreparedTask {
  task.flush();
  const writes = [];
  for (const store of task.stores.values()) {
    if (isCheckpointed(store.inner))
      writes.push({ store, durable: store.inner, writes: store.inner.takeWrites() });
  }
  return { task, records: collector.drain(), offsets: task.offsetsToCommit(), writes };
}

/**
 * Records per produce request. kafkajs 2.2.4 encodes a request in one synchronous run (3-6 µs a record),
 * so a commit goes in chunks of SEND_CHUNK records (a millisecond or two of encoding), one per turn of the
 * event loop, and queries served by the same process wait that long at most. Each chunk also costs a
 * round trip to the broker, though, so a large commit (a backlog being worked off) sends about SEND_CHUNKS
 * larger chunks, up to SEND_CHUNK_MAX records: bigger ones would cost more than they save, kafkajs grouping
 * a request's messages by partition by copying the growing array for every message (quadratic).
 */
const SEND_CHUNK = 250;
const SEND_CHUNKS = 64;
const SEND_CHUNK_MAX = 1000;

/** Records per chunk for a commit of `total` records. */
export function chunkSize(total: number): number {
  return Math.min(SEND_CHUNK_MAX, Math.max(SEND_CHUNK, Math.ceil(total / SEND_CHUNKS)));
}

/** Merges several tasks' output by topic, for one producer. */
export function mergeRecords(prepared: readonly PreparedTask[]): Map<string, ResolvedRecord[]> {
  const merged = new Map<string, ResolvedRecord[]>();
  for (const { records } of prepared) {
    for (const [topic, list] of records) {
      const existing = merged.get(topic);
      if (existing) existing.push(...list);
      else merged.set(topic, [...list]);
    }
  }
  return merged;
}

/**
 * Sends records in requests that the broker takes whole (see boundedRequests) through `send` (a producer's
 * or a transaction's) and returns, per
 * `topic:partition`, the offset after the last record written: what a changelog-backed store records as
 * its checkpoint.
 */
export async function sendAll(
  send: StreamsSender['send'],
  records: Iterable<[string, ResolvedRecord[]]>,
  limits: ProduceLimits,
): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  const byTopic = [...records];
  const total = byTopic.reduce((sum, [, list]) => sum + list.length, 0);
  const requests = boundedRequests(
    byTopic,
    limits.requests(chunkSize(total)),
    (r) => r.partition,
    // Measured as the task wrote them (dead letters are not): each bound once per record.
    (r) => r.bytes ?? recordSizeBound(r),
  );
  for (const chunk of requests) {
    // Records per topic and partition: a base offset plus its count is the partition's end.
    const counts = new Map<string, Map<number, number>>();
    for (const { topic, messages } of chunk) {
      let perPartition = counts.get(topic);
      if (!perPartition) {
        perPartition = new Map();
        counts.set(topic, perPartition);
      }
      for (const { partition } of messages)
        perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
    }
    const produced = await send(chunk);
    await nextTurn();
    for (const { topic, partition, baseOffset } of produced) {
      const count = counts.get(topic)?.get(partition);
      if (count === undefined) continue;
      const key = `${topic}:${partition}`;
      const end = baseOffset + BigInt(count);
      if (end > (ends.get(key) ?? -1n)) ends.set(key, end);
    }
  }
  return ends;
}

/**
 * Writes each prepared store's pending data to disk with its checkpoint: the changelog offset after its last
 * change (from `ends`), or for a source table the next offset of its source topic.
 */
export async function writeCheckpoints(
  prepared: PreparedTask,
  ends: ReadonlyMap<string, bigint>,
  changelogTopic: (store: string) => string,
): Promise<void> {
  const partition = prepared.task.id.partition;
  for (const { store, durable, writes } of prepared.writes) {
    const builder = store.builder;
    let checkpoint: bigint | undefined;
    if (builder.sourceTopic) {
      const offset = prepared.offsets.find((o) => o.topic === builder.sourceTopic)?.offset;
      checkpoint = offset === undefined ? undefined : BigInt(offset);
    } else if (builder.logging) {
      checkpoint = ends.get(`${changelogTopic(builder.name)}:${partition}`);
    }
    await durable.writeCheckpointed(writes, checkpoint);
  }
}

/** True for the errors Kafka gives a producer that a newer one with the same transactional.id replaced. */
export function isFenced(error: unknown): boolean {
  for (
    let e = error as { type?: string; code?: number; message?: string; cause?: unknown } | undefined;
    e;
  ) {
    if (
      e.type === 'INVALID_PRODUCER_EPOCH' ||
      e.type === 'PRODUCER_FENCED' ||
      e.code === 47 ||
      e.code === 90
    ) {
      return true;
    }
    if (/fenced|producer epoch/i.test(e.message ?? '')) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * at_least_once: produce every task's records through one idempotent producer and wait for the
 * acknowledgements, write each persistent store's data with its changelog offset, then commit the input
 * offsets. Kafka refusing the offsets because the group is rebalancing is not an error: the rebalance
 * drops what was not committed. Resolves whether the offsets were committed.
 */
export async function commitAtLeastOnce(
  prepared: readonly PreparedTask[],
  deps: {
    producer: StreamsProducer;
    consumer: Consumer;
    changelogTopic: (store: string) => string;
    rebalancing: () => boolean;
    limits: ProduceLimits;
  },
): Promise<boolean> {
  let ends: Map<string, bigint>;
  try {
    ends = await sendAll((request) => deps.producer.send(request), mergeRecords(prepared), deps.limits);
  } catch (error) {
    throw new StreamsError(
      'COMMIT_FAILED',
      `Kafka did not take the records of a commit: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  for (const task of prepared) await writeCheckpoints(task, ends, deps.changelogTopic);
  const all = prepared.flatMap((task) => task.offsets);
  if (all.length === 0) return true;
  // The group is moving: kafkajs may have rejoined already, and Kafka would take these offsets under the
  // new generation even for partitions now another member's, whose copy of the store may lack this commit.
  if (deps.rebalancing()) return false;
  try {
    await deps.consumer.commitOffsets(all);
  } catch (error) {
    const type = (error as { type?: string }).type ?? '';
    if (
      /REBALANCE_IN_PROGRESS|ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID|NOT_COORDINATOR/.test(type) ||
      deps.rebalancing()
    ) {
      return false;
    }
    throw new StreamsError(
      'COMMIT_FAILED',
      `Kafka refused the offsets of a commit: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  for (const task of prepared) task.task.committed(task.offsets);
  return true;
}

/**
 * exactly_once, one task: its changelog records, output and input offsets (sendOffsets) in one transaction
 * of its own producer; LevelDB is written only after the transaction committed. 'fenced' when a newer
 * producer of the same task replaced this one; any other failure throws COMMIT_FAILED.
 */
export async function commitTransaction(
  prepared: PreparedTask,
  producer: StreamsProducer,
  deps: { groupId: string; changelogTopic: (store: string) => string; limits: ProduceLimits },
): Promise<'committed' | 'fenced'> {
  if (prepared.offsets.length === 0 && prepared.records.size === 0) {
    await writeCheckpoints(prepared, new Map(), deps.changelogTopic);
    return 'committed';
  }
  const transaction = await producer.transaction();
  let ends: Map<string, bigint>;
  try {
    ends = await sendAll((request) => transaction.send(request), prepared.records, deps.limits);
    if (prepared.offsets.length > 0) {
      await transaction.sendOffsets({
        consumerGroupId: deps.groupId,
        topics: groupByTopic(prepared.offsets),
      });
    }
    await transaction.commit();
  } catch (error) {
    if (transaction.isActive()) await transaction.abort().catch(() => undefined);
    if (isFenced(error)) return 'fenced';
    throw new StreamsError(
      'COMMIT_FAILED',
      `the transaction of task ${prepared.task.idString} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  await writeCheckpoints(prepared, ends, deps.changelogTopic);
  prepared.task.committed(prepared.offsets);
  return 'committed';
}

/**
 * exactly_once, every task of a commit: one transaction each, all at once. Settles only once every
 * transaction has ended, so that a failure stops the instance with no transaction still running on a
 * producer it closes, then rejects with the first failure; otherwise resolves with the tasks whose
 * transaction committed (not the fenced ones).
 */
export async function commitTransactions<T extends PreparedTask>(
  prepared: readonly T[],
  commitOne: (task: T) => Promise<boolean>,
): Promise<T[]> {
  const results = await Promise.allSettled(prepared.map(commitOne));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return prepared.filter((_, i) => (results[i] as PromiseFulfilledResult<boolean>).value);
}

function groupByTopic(offsets: readonly TopicPartitionOffset[]) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
