/**
 * Reads one partition of a topic between two offsets without joining a consumer group: what Kafka's Java
 * consumer does with `assign()` and `seek()`, and what Kafka Streams' restore consumer uses to rebuild a
 * store from its changelog. The kafkajs internals it drives are in kafkajs-fetch.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { PartitionReaderError } from '../errors.js';
import {
  createCluster,
  createErrorFromCode,
  type FetchedPartition,
  ISOLATION_LEVELS,
  isRetriable,
  type KafkaBroker,
  type KafkaCluster,
  OFFSET_OUT_OF_RANGE,
  type ReadRecord,
  type RecordBatch,
  sendFetch,
  UNKNOWN_TOPIC_OR_PARTITION,
} from './kafkajs-fetch.js';

export { PartitionReaderError, type ReadRecord };

export interface PartitionReaderOptions {
  /**
   * `read_committed` (the default) delivers only committed records, and `endOffset` is the last stable
   * offset; `read_uncommitted` delivers aborted and open transactions' records too, and `endOffset` is the
   * high watermark. Control records are never delivered.
   */
  readonly isolation?: 'read_committed' | 'read_uncommitted';
  /** Most bytes one fetch returns: 1 to 2^31-1. Defaults to 8 MiB. A larger record batch still comes whole. */
  readonly maxBytes?: number;
  /** Longest the broker waits for records that are not written yet: 0 to 600000 ms. Defaults to 100. */
  readonly maxWaitMs?: number;
}

export interface ReadOptions {
  /** Stops the read: it rejects with the signal's reason, with no further `onBatch` call. */
  readonly signal?: AbortSignal;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_WAIT_MS = 100;
const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2_000;

/**
 * Reads single partitions from given offsets, outside any consumer group. One reader can serve many reads at
 * once, of the same or different partitions; each read fetches from the partition's leader until it has
 * passed every offset below its `toOffset`.
 */
export class PartitionReader {
  readonly #cluster: KafkaCluster;
  readonly #isolationLevel: number;
  readonly #maxBytes: number;
  readonly #maxWaitMs: number;
  #connected = false;

  constructor(kafka: Kafka, options: PartitionReaderOptions = {}) {
    const {
      isolation = 'read_committed',
      maxBytes = DEFAULT_MAX_BYTES,
      maxWaitMs = DEFAULT_MAX_WAIT_MS,
    } = options;
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
      throw new TypeError(`isolation must be read_committed or read_uncommitted, not ${String(isolation)}`);
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 2 ** 31 - 1) {
      throw new TypeError(`maxBytes must be an integer from 1 to 2^31-1, not ${maxBytes}`);
    }
    if (!Number.isInteger(maxWaitMs) || maxWaitMs < 0 || maxWaitMs > 600_000) {
      throw new TypeError(`maxWaitMs must be an integer from 0 to 600000, not ${maxWaitMs}`);
    }
    this.#isolationLevel = ISOLATION_LEVELS[isolation];
    this.#maxBytes = maxBytes;
    this.#maxWaitMs = maxWaitMs;
    this.#cluster = createCluster(kafka, this.#isolationLevel);
  }

  async connect(): Promise<void> {
    await this.#cluster.connect();
    this.#connected = true;
  }

  /** Closes the reader's connections. Idempotent; reads still running fail with PARTITION_READER_NOT_CONNECTED. */
  async disconnect(): Promise<void> {
    this.#connected = false;
    await this.#cluster.disconnect();
  }

  /** The partition's first offset still in the log (the log start offset). */
  async startOffset(topic: string, partition: number): Promise<bigint> {
    checkPartition(topic, partition);
    return this.#listOffset(topic, partition, true);
  }

  /**
   * The offset after the last record a read can deliver now: the high watermark, or under read_committed the
   * last stable offset, which stops before the first record of a transaction still open.
   */
  async endOffset(topic: string, partition: number): Promise<bigint> {
    checkPartition(topic, partition);
    return this.#listOffset(topic, partition, false);
  }

  /**
   * Reads the offsets `[fromOffset, toOffset)` of one partition and calls `onBatch` with their records in
   * offset order, awaiting each call before the next fetch. Resolves with `toOffset` (the next offset to read)
   * once every offset below it has been passed. Offsets with no record to deliver are passed without a call:
   * compacted away, a control record, or under read_committed an aborted transaction's record. When
   * `fromOffset` is below the log start (deleted or retention removed it), the read starts at the log start.
   * Offsets not yet written are waited for: `toOffset` beyond the partition's end keeps the read fetching
   * until they are written or `options.signal` aborts it. A read of no offsets does no I/O.
   *
   * The records are the fetch decoder's own objects, not copies, and each array is the caller's to keep. An
   * error thrown by `onBatch` rejects the read as it is; the offsets of that batch count as not read.
   *
   * Fails with PARTITION_READER_OFFSET_BEYOND_END when `fromOffset` is beyond `toOffset` or beyond the
   * partition's end, and with PARTITION_READER_FETCH_FAILED when Kafka fails the fetch and retries do not help.
   */
  async read(
    topic: string,
    partition: number,
    fromOffset: bigint,
    toOffset: bigint,
    onBatch: (records: ReadRecord[]) => void | Promise<void>,
    options: ReadOptions = {},
  ): Promise<bigint> {
    checkPartition(topic, partition);
    checkOffset('fromOffset', fromOffset);
    checkOffset('toOffset', toOffset);
    if (typeof onBatch !== 'function') throw new TypeError('onBatch must be a function');
    if (fromOffset === toOffset) return toOffset;
    if (fromOffset > toOffset) {
      throw new PartitionReaderError(
        'PARTITION_READER_OFFSET_BEYOND_END',
        `cannot read ${topic}-${partition} from offset ${fromOffset}: it is beyond toOffset ${toOffset}`,
      );
    }
    const { signal } = options;
    let position = fromOffset;
    while (position < toOffset) {
      signal?.throwIfAborted();
      const fetched = await this.#fetch(topic, partition, position, signal);
      signal?.throwIfAborted();
      if (fetched === undefined) {
        // A throttled broker answers without the partition (KIP-219): ask again, a little later.
        await sleep(this.#maxWaitMs, undefined, { signal });
        continue;
      }
      if (fetched.errorCode === OFFSET_OUT_OF_RANGE) {
        position = await this.#logStartAfterOutOfRange(topic, partition, position, signal);
        continue;
      }
      const { records, next } = this.#select(fetched, position, toOffset);
      if (records.length > 0) await onBatch(records);
      position = next;
    }
    return toOffset;
  }

  /** The records of `fetched` to deliver, and the offset to fetch next. */
  #select(
    fetched: FetchedPartition,
    position: bigint,
    toOffset: bigint,
  ): { records: ReadRecord[]; next: bigint } {
    const readCommitted = this.#isolationLevel === ISOLATION_LEVELS.read_committed;
    // As the Java consumer does: a transactional batch is aborted when its producer has an aborted
    // transaction that starts at or before the batch and whose abort marker has not been passed yet.
    const aborted = readCommitted
      ? [...fetched.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
      : [];
    let nextAborted = 0;
    const abortedProducers = new Set<string>();
    const records: ReadRecord[] = [];
    let next = position;
    let passedAny = false;
    for (const batch of fetched.batches) {
      // The broker starts at the batch that holds `position`, which may begin before it.
      if (batch.lastOffset < next) continue;
      passedAny = true;
      if (batch.firstOffset >= toOffset) {
        next = toOffset; // the offsets between here and the batch hold no record
        break;
      }
      for (let txn = aborted[nextAborted]; txn !== undefined && txn.firstOffset <= batch.lastOffset; ) {
        abortedProducers.add(txn.producerId);
        txn = aborted[++nextAborted];
      }
      if (batch.control) {
        if (readCommitted && isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      } else if (!(readCommitted && batch.transactional && abortedProducers.has(batch.producerId))) {
        appendRecords(records, batch, next, toOffset);
      }
      next = batch.lastOffset < toOffset ? batch.lastOffset + 1n : toOffset;
    }
    if (!passedAny) {
      if (fetched.truncated) {
        throw new PartitionReaderError(
          'PARTITION_READER_FETCH_FAILED',
          `${fetched.topic}-${fetched.partition} at offset ${position}: the broker sent only part of a record batch`,
        );
      }
      // No batch from `position` up to the end the broker reads to: everything in between is gone.
      const end = readCommitted ? fetched.lastStableOffset : fetched.highWatermark;
      if (end > next) next = end < toOffset ? end : toOffset;
    }
    return { records, next };
  }

  async #fetch(
    topic: string,
    partition: number,
    offset: bigint,
    signal: AbortSignal | undefined,
  ): Promise<FetchedPartition | undefined> {
    return this.#retrying(`fetch ${topic}-${partition} at offset ${offset}`, signal, async () => {
      const broker = await this.#leader(topic, partition);
      const response = await sendFetch(broker, {
        topic,
        partition,
        offset,
        isolationLevel: this.#isolationLevel,
        maxBytes: this.#maxBytes,
        maxWaitMs: this.#maxWaitMs,
      });
      if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
      const fetched = response.partitions.find((p) => p.topic === topic && p.partition === partition);
      if (fetched !== undefined && fetched.errorCode !== 0 && fetched.errorCode !== OFFSET_OUT_OF_RANGE) {
        throw createErrorFromCode(fetched.errorCode);
      }
      return fetched;
    });
  }

  /** Where to go on after OFFSET_OUT_OF_RANGE: the log start when `position` is below it; beyond the end, fail. */
  async #logStartAfterOutOfRange(
    topic: string,
    partition: number,
    position: bigint,
    signal: AbortSignal | undefined,
  ): Promise<bigint> {
    const start = await this.#listOffset(topic, partition, true, signal);
    if (position < start) return start;
    const end = await this.#listOffset(topic, partition, false, signal);
    throw new PartitionReaderError(
      'PARTITION_READER_OFFSET_BEYOND_END',
      `cannot read ${topic}-${partition} from offset ${position}: the partition ends at offset ${end}`,
    );
  }

  async #listOffset(
    topic: string,
    partition: number,
    earliest: boolean,
    signal?: AbortSignal,
  ): Promise<bigint> {
    const which = earliest ? 'start' : 'end';
    return this.#retrying(`look up the ${which} offset of ${topic}-${partition}`, signal, async () => {
      await this.#cluster.addTargetTopic(topic);
      const topics = await this.#cluster.fetchTopicsOffset([
        { topic, partitions: [{ partition }], fromBeginning: earliest },
      ]);
      const found = topics.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition);
      if (found === undefined) throw createErrorFromCode(UNKNOWN_TOPIC_OR_PARTITION);
      return BigInt(found.offset);
    });
  }

  async #leader(topic: string, partition: number): Promise<KafkaBroker> {
    await this.#cluster.addTargetTopic(topic);
    const [nodeId] = Object.keys(this.#cluster.findLeaderForPartitions(topic, [partition]));
    if (nodeId === undefined) throw createErrorFromCode(UNKNOWN_TOPIC_OR_PARTITION);
    return this.#cluster.findBroker({ nodeId });
  }

  /** Runs `operation`, and again with fresh metadata after a retriable failure, with backoff. */
  async #retrying<T>(what: string, signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (!this.#connected) {
        throw new PartitionReaderError(
          'PARTITION_READER_NOT_CONNECTED',
          `cannot ${what}: the reader is not connected`,
        );
      }
      try {
        return await operation();
      } catch (error) {
        if (error instanceof PartitionReaderError) throw error;
        if (!isRetriable(error) || attempt === MAX_ATTEMPTS) {
          const attempts = attempt === 1 ? '' : ` after ${attempt} attempts`;
          throw new PartitionReaderError(
            'PARTITION_READER_FETCH_FAILED',
            `cannot ${what}${attempts}: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
        await sleep(Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS), undefined, { signal });
        // Refreshing after disconnect() would reconnect; a refresh that fails shows up as the next attempt's error.
        if (this.#connected) await this.#cluster.refreshMetadata().catch(() => undefined);
      }
    }
  }
}

function checkPartition(topic: string, partition: number): void {
  if (typeof topic !== 'string' || topic === '') throw new TypeError('topic must be a non-empty string');
  if (!Number.isInteger(partition) || partition < 0) {
    throw new TypeError(`partition must be a non-negative integer, not ${partition}`);
  }
}

function checkOffset(name: string, offset: bigint): void {
  if (typeof offset !== 'bigint' || offset < 0n) {
    throw new TypeError(`${name} must be a non-negative bigint, not ${String(offset)}`);
  }
}

/** A control batch holds one record, whose key is version (int16) and type (int16): 0 aborts, 1 commits. */
function isAbortMarker(batch: RecordBatch): boolean {
  const key = batch.records[0]?.key;
  return key != null && key.length >= 4 && key.readInt16BE(2) === 0;
}

function appendRecords(records: ReadRecord[], batch: RecordBatch, from: bigint, to: bigint): void {
  if (batch.firstOffset >= from && batch.lastOffset < to) {
    for (const record of batch.records) records.push(record);
    return;
  }
  for (const record of batch.records) {
    const offset = BigInt(record.offset);
    if (offset >= from && offset < to) records.push(record);
  }
}
