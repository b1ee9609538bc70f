/**
 * The kafkajs internals PartitionReader drives. kafkajs has no assign()/seek(), so the reader uses a Cluster
 * of its own, made by the client's private factory (the one its producer, consumer and admin use), finds
 * partition leaders in the cluster's metadata and sends Fetch v11 itself. It also decodes the Fetch response
 * itself, with kafkajs's Decoder and record-batch decoder: kafkajs's own response decoder flattens batches
 * into records, which loses the headers of batches that compaction emptied, and without their last offsets a
 * read could not step over them.
 *
 * Written and tested against kafkajs 2.2.4. package.json allows `^2.2.4`, but kafkajs is unmaintained (2.2.4
 * is its last release), and a release that moved any of these would fail PARTITION_READER_UNSUPPORTED at
 * connect rather than misread. It relies on: Kafka[Symbol('private:Kafka:createCluster')]; Cluster's connect,
 * disconnect, addTargetTopic, refreshMetadata, findLeaderForPartitions, findBroker and fetchTopicsOffset;
 * Broker's versions and [Symbol('private:Broker:sendRequest')]; and src/protocol/{decoder,
 * recordBatch/v0/decoder, requests/fetch/v11/request, error}.js. Nothing else in probestream touches them.
 */
import { createRequire } from 'node:module';
import type { IHeaders, Kafka } from 'kafkajs';
import { PartitionReaderError } from '../errors.js';

/** A record as a read delivers it. */
export interface ReadRecord {
  /** The record's offset, as a decimal string (as kafkajs gives it). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch milliseconds, as a decimal string. */
  readonly timestamp: string;
  readonly headers: IHeaders;
}

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

export interface KafkaBroker {
  /** ApiVersions of the broker, by API key; set once the broker is connected. */
  readonly versions: Readonly<Record<number, { readonly maxVersion: number }>> | null;
}

export interface KafkaCluster {
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

export interface FetchedPartition {
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

export interface RecordBatch {
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
export const { createErrorFromCode } = requireKafkajs('kafkajs/src/protocol/error.js') as {
  /** A KafkaJSProtocolError with the code's `type` (e.g. NOT_LEADER_FOR_PARTITION) and `retriable`. */
  createErrorFromCode(code: number): Error;
};

const FETCH_API_KEY = 1;
const FETCH_VERSION = 11;
const REPLICA_ID_CONSUMER = -1;
export const ISOLATION_LEVELS = { read_uncommitted: 0, read_committed: 1 } as const;
export const OFFSET_OUT_OF_RANGE = 1;
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
const RECORD_BATCH_MAGIC = 2;
/** baseOffset (8) and batchLength (4) precede a batch; partitionLeaderEpoch (4) precedes its magic byte. */
const MAGIC_OFFSET = 16;
const BATCH_LENGTH_OFFSET = 8;
const BATCH_LOG_OVERHEAD = 12;

/** A kafkajs private member's symbol, found by its description; `unsupported` makes the error when absent. */
export function privateSymbol(
  target: object,
  description: string,
  unsupported: (message: string) => Error = (message) =>
    new PartitionReaderError(
      'PARTITION_READER_UNSUPPORTED',
      `${message}: PartitionReader was written against kafkajs 2.2.4`,
    ),
): symbol {
  for (let object: object | null = target; object !== null; object = Object.getPrototypeOf(object)) {
    const found = Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === description);
    if (found !== undefined) return found;
  }
  throw unsupported(`kafkajs has no ${description}`);
}

export function createCluster(kafka: Kafka, isolationLevel: number): KafkaCluster {
  // A private member, found by its symbol's description: no type of kafkajs's declares it.
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

export async function sendFetch(
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
  // A private member, found by its symbol's description: no type of kafkajs's declares it.
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
export function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable === true;
}
