/**
 * Reads one partition of a topic between two offsets without joining a consumer group: what Kafka's Java
 * consumer does with `assign()` and `seek()`, and what Kafka Streams' restore consumer uses to rebuild a
 * store from its changelog.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, Kafka } from 'kafkajs';
import { PartitionReaderError } from '../errors.js';

// ─── kafkajs internals ──────────────────────────────────────────────────────────────────────────────────
// kafkajs internals: kafkajs has no assign()/seek(), so this reader drives a Cluster of its own, made by the
// client's private factory (the one its producer, consumer and admin use), finds partition leaders in the
// cluster's metadata and sends Fetch v11 itself. It also decodes the Fetch response itself, with kafkajs's
// Decoder and record-batch decoder: kafkajs's own response decoder flattens batches into records, which loses
// the headers of batches that compaction emptied, and without their last offsets a read could not step over
// them. Checked against kafkajs 2.2.4, which is pinned and unmaintained, so none of this will move under us.
// It relies on: Kafka[Symbol('private:Kafka:createCluster')]; Cluster's connect, disconnect, addTargetTopic,
// refreshMetadata, findLeaderForPartitions, findBroker and fetchTopicsOffset; Broker's versions and
// [Symbol('private:Broker:sendRequest')]; and src/protocol/{decoder, recordBatch/v0/decoder,
// requests/fetch/v11/request, error}.js. Nothing below this section touches kafkajs except through them.

/** A record batch as kafkajs's decoder returns it; its records are typed down to what a reader may rely on. */
interface KafkaRecordBatch {
  readonly firstOffset: string;
  readonly lastOffsetDelta: number;
  readonly producerId: string;
  readonly inTransaction: boolean;
  readonly isControlBatch: boolean;
  readonly records: ReadRecord[];
}

interface KafkaDecoder {
  readonly offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): bigint;
  readString(): string;
  readBytes(length: number): Buffer;
  canReadBytes(length: number): boolean;
}

interface KafkaBroker {
  /** ApiVersions of the broker, by API key; set once the broker is connected. */
  readonly versions: Readonly<Record<number, { readonly maxVersion: number }>> | null;
}

interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  /** Partitions by the node id of their leader, e.g. `{ '1': [0] }`; `{}` for a partition it does not know. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<KafkaBroker>;
  /** ListOffsets at the cluster's isolation level: earliest, or latest (the LSO under read_committed). */
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly abortedTransactions: readonly { readonly producerId: string; readonly firstOffset: bigint }[];
  readonly batches: readonly RecordBatch[];
  /** The records ended in a batch cut short by the size limit (the next fetch reads it whole). */
  readonly truncated: boolean;
}

interface RecordBatch {
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly producerId: string;
  readonly transactional: boolean;
  readonly control: boolean;
  readonly records: ReadRecord[];
}

interface FetchResponse {
  /** Read by kafkajs's connection, which waits this long before its next request (KIP-219). */
  readonly clientSideThrottleTime: number;
  readonly errorCode: number;
  readonly partitions: readonly FetchedPartition[];
}

const requireKafkajs = createRequire(import.meta.url);
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkaDecoder;
const decodeRecordBatch = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: KafkaDecoder,
) => Promise<KafkaRecordBatch>;
const fetchV11Request = requireKafkajs('kafkajs/src/protocol/requests/fetch/v11/request.js') as (request: {
  replicaId: number;
  isolationLevel: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
}) => unknown;
const { createErrorFromCode } = requireKafkajs('kafkajs/src/protocol/error.js') as {
  /** A KafkaJSProtocolError with the code's `type` (e.g. NOT_LEADER_FOR_PARTITION) and `retriable`. */
  createErrorFromCode(code: number): Error;
};

const FETCH_API_KEY = 1;
const FETCH_VERSION = 11;
const REPLICA_ID_CONSUMER = -1;
const ISOLATION_LEVELS = { read_uncommitted: 0, read_committed: 1 } as const;
const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const RECORD_BATCH_MAGIC = 2;
/** baseOffset (8) and batchLength (4) precede a batch; partitionLeaderEpoch (4) precedes its magic byte. */
const MAGIC_OFFSET = 16;
const BATCH_LENGTH_OFFSET = 8;
const BATCH_LOG_OVERHEAD = 12;

function privateSymbol(target: object, description: string): symbol {
  for (let object: object | null = target; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === description);
    if (found !== undefined) return found;
  }
  throw new PartitionReaderError(
    'PARTITION_READER_UNSUPPORTED',
    `kafkajs has no ${description}: PartitionReader was written against kafkajs 2.2.4`,
  );
}

function createCluster(kafka: Kafka, isolationLevel: number): KafkaCluster {
  const factory = (kafka as unknown as Record<symbol, unknown>)[
    privateSymbol(kafka, 'private:Kafka:createCluster')
  ];
  if (typeof factory !== 'function') {
    throw new PartitionReaderError(
      'PARTITION_READER_UNSUPPORTED',
      'the kafkajs client has no cluster factory',
    );
  }
  // The reader must never create a topic, as reading from a typo'd changelog name otherwise would.
  return factory({ allowAutoTopicCreation: false, metadataMaxAge: 300_000, isolationLevel }) as KafkaCluster;
}

/** The Broker's private method that sends a request and disconnects on a closed connection. */
let sendRequest: symbol | undefined;

async function sendFetch(
  broker: KafkaBroker,
  fetch: {
    topic: string;
    partition: number;
    offset: bigint;
    isolationLevel: number;
    maxBytes: number;
    maxWaitMs: number;
  },
): Promise<FetchResponse> {
  const maxVersion = broker.versions?.[FETCH_API_KEY]?.maxVersion ?? -1;
  if (maxVersion < FETCH_VERSION) {
    throw new PartitionReaderError(
      'PARTITION_READER_UNSUPPORTED',
      `the broker supports Fetch up to v${maxVersion}; PartitionReader needs v${FETCH_VERSION} (Kafka 2.3 or later)`,
    );
  }
  sendRequest ??= privateSymbol(broker, 'private:Broker:sendRequest');
  const send = (broker as unknown as Record<symbol, (request: unknown) => Promise<FetchResponse>>)[
    sendRequest
  ];
  if (typeof send !== 'function') {
    throw new PartitionReaderError('PARTITION_READER_UNSUPPORTED', 'the kafkajs broker cannot send requests');
  }
  return send.call(broker, {
    request: fetchV11Request({
      replicaId: REPLICA_ID_CONSUMER,
      isolationLevel: fetch.isolationLevel,
      maxWaitTime: fetch.maxWaitMs,
      minBytes: 1,
      maxBytes: fetch.maxBytes,
      topics: [
        {
          topic: fetch.topic,
          partitions: [
            { partition: fetch.partition, fetchOffset: fetch.offset.toString(), maxBytes: fetch.maxBytes },
          ],
        },
      ],
    }),
    response: { decode: decodeFetchResponse, parse: async (response: FetchResponse) => response },
    // The broker holds a fetch for up to maxWaitMs before it answers (kafkajs adds the same margin).
    requestTimeout: fetch.maxWaitMs + 100,
  });
}

/** Fetch Response v11, as kafkajs's fetch/v11/response.js reads it, but keeping each record batch's header. */
async function decodeFetchResponse(payload: Buffer): Promise<FetchResponse> {
  const decoder = new Decoder(payload);
  const clientSideThrottleTime = decoder.readInt32();
  const errorCode = decoder.readInt16();
  decoder.readInt32(); // session id: every fetch here is a full fetch outside any session
  const partitions: FetchedPartition[] = [];
  for (let topics = decoder.readInt32(); topics > 0; topics--) {
    const topic = decoder.readString();
    for (let count = decoder.readInt32(); count > 0; count--) {
      const partition = decoder.readInt32();
      const partitionErrorCode = decoder.readInt16();
      const highWatermark = decoder.readInt64();
      const lastStableOffset = decoder.readInt64();
      decoder.readInt64(); // log start offset
      const abortedTransactions: { producerId: string; firstOffset: bigint }[] = [];
      for (let aborted = decoder.readInt32(); aborted > 0; aborted--) {
        abortedTransactions.push({
          producerId: decoder.readInt64().toString(),
          firstOffset: decoder.readInt64(),
        });
      }
      decoder.readInt32(); // preferred read replica
      const { batches, truncated } = await decodeRecordBatches(decoder, topic, partition);
      partitions.push({
        topic,
        partition,
        errorCode: partitionErrorCode,
        highWatermark,
        lastStableOffset,
        abortedTransactions,
        batches,
        truncated,
      });
    }
  }
  return { clientSideThrottleTime, errorCode, partitions };
}

async function decodeRecordBatches(
  decoder: KafkaDecoder,
  topic: string,
  partition: number,
): Promise<{ batches: RecordBatch[]; truncated: boolean }> {
  const size = decoder.readInt32();
  if (size <= 0) return { batches: [], truncated: false };
  const bytes = decoder.readBytes(size);
  const records = new Decoder(bytes);
  const batches: RecordBatch[] = [];
  while (records.offset < bytes.length) {
    // The broker stops at the size limit, possibly within a batch: that batch is read whole next time.
    const at = records.offset;
    const remaining = bytes.length - at;
    if (
      remaining <= MAGIC_OFFSET ||
      remaining < BATCH_LOG_OVERHEAD + bytes.readInt32BE(at + BATCH_LENGTH_OFFSET)
    ) {
      return { batches, truncated: true };
    }
    const magic = bytes.readInt8(at + MAGIC_OFFSET);
    if (magic !== RECORD_BATCH_MAGIC) {
      throw new PartitionReaderError(
        'PARTITION_READER_UNSUPPORTED',
        `${topic}-${partition} holds records in message format v${magic}; ` +
          `PartitionReader reads only v${RECORD_BATCH_MAGIC} record batches (Kafka 0.11 or later)`,
      );
    }
    const batch = await decodeRecordBatch(records);
    const firstOffset = BigInt(batch.firstOffset);
    batches.push({
      firstOffset,
      lastOffset: firstOffset + BigInt(batch.lastOffsetDelta),
      producerId: batch.producerId,
      transactional: batch.inTransaction,
      control: batch.isControlBatch,
      records: batch.records,
    });
  }
  return { batches, truncated: false };
}

/** True when the error is one kafkajs marks retriable: a moved leader, stale metadata, a lost connection. */
function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable === true;
}

// ─── the reader ─────────────────────────────────────────────────────────────────────────────────────────

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

export interface ReadRecord {
  /** The record's offset, as a decimal string (as kafkajs gives it). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch milliseconds, as a decimal string. */
  readonly timestamp: string;
  readonly headers: IHeaders;
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
export { PartitionReaderError };

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
