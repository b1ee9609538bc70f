import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import { NativeProducer } from './native-producer.js';
import type { ProducedRecord } from './record-batch.js';

/**
 * What the engine needs of a producer: send a commit's records (partitions already chosen) with acks=all,
 * idempotently, and under exactly-once do that inside transactions. Two clients stand behind it, chosen by
 * StreamsConfig.producerClient: kafkajs's Producer (the default) and NativeProducer, which writes the
 * record batches itself (see native-producer.ts).
 */

/** One topic's share of a produce request. */
export interface TopicRecords {
  readonly topic: string;
  readonly messages: readonly ProducedRecord[];
}

/** Where a partition's records of one request went: the offset of the first. */
export interface ProducedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: bigint;
}

export interface StreamsSender {
  /**
   * Sends one request's records (a caller bounds it: see boundedRequests) and resolves once every
   * partition's leader acknowledged them, with each partition's base offset.
   */
  send(request: readonly TopicRecords[]): Promise<ProducedPartition[]>;
}

export interface OffsetsToCommit {
  readonly consumerGroupId: string;
  readonly topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
}

export interface StreamsTransaction extends StreamsSender {
  sendOffsets(offsets: OffsetsToCommit): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** False once committed or aborted. */
  isActive(): boolean;
}

export interface StreamsProducer extends StreamsSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Begins a transaction: only for a producer created with a transactionalId. */
  transaction(): Promise<StreamsTransaction>;
}

export const producerClients = ['kafkajs', 'native'] as const;
export type ProducerClient = (typeof producerClients)[number];

export interface StreamsProducerOptions {
  /** exactly_once: the producer's transactional.id. Without it the producer is idempotent only. */
  readonly transactionalId?: string;
  readonly transactionTimeoutMs?: number;
}

/** A producer of `client`'s kind: idempotent, one request in flight, never creating a topic. */
export function createStreamsProducer(
  kafka: Kafka,
  client: ProducerClient,
  options: StreamsProducerOptions = {},
): StreamsProducer {
  if (client === 'native') return new NativeProducer(kafka, options);
  return new KafkajsProducer(
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      ...(options.transactionalId === undefined
        ? {}
        : { transactionalId: options.transactionalId, transactionTimeout: options.transactionTimeoutMs }),
    }),
  );
}

function sendThrough(
  sendBatch: Producer['sendBatch'],
): (request: readonly TopicRecords[]) => Promise<ProducedPartition[]> {
  return async (request) => {
    // ProducedRecord is a kafkajs message already (partition set, Buffers, timestamp string).
    const metadata = await sendBatch({ acks: -1, topicMessages: request as TopicMessages[] });
    const produced: ProducedPartition[] = [];
    for (const { topicName, partition, baseOffset } of metadata) {
      if (baseOffset !== undefined)
        produced.push({ topic: topicName, partition, baseOffset: BigInt(baseOffset) });
    }
    return produced;
  };
}

/** kafkajs's Producer behind the engine's interface. */
export class KafkajsProducer implements StreamsProducer {
  readonly #producer: Producer;
  readonly send: StreamsSender['send'];

  constructor(producer: Producer) {
    this.#producer = producer;
    this.send = sendThrough((batch) => producer.sendBatch(batch));
  }

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
  }

  async transaction(): Promise<StreamsTransaction> {
    const transaction = await this.#producer.transaction();
    return {
      send: sendThrough((batch) => transaction.sendBatch(batch)),
      sendOffsets: (offsets) => transaction.sendOffsets(offsets),
      commit: () => transaction.commit(),
      abort: () => transaction.abort(),
      isActive: () => transaction.isActive(),
    };
  }
}
