/**
 * The kafkajs internals NativeProducer drives, so that connections, SASL/SSL, metadata, retries,
 * idempotence and transactions behave as kafkajs's own producer (the default client) does: a Cluster made
 * by the client's private factory, its brokers' private request sender, kafkajs's retrier, and its
 * eosManager for the producer id and epoch, sequences, the per-broker lock and the transaction state
 * machine.
 *
 * Written and tested against kafkajs 2.2.4 (its last release). It relies on:
 * Kafka[Symbol('private:Kafka:createCluster')] and [Symbol('private:Kafka:clusterRetry')]; Kafka#logger;
 * Cluster's connect, disconnect, isConnected, addMultipleTargetTopics, refreshMetadata,
 * refreshMetadataIfNecessary, findTopicPartitionMetadata, findLeaderForPartitions, findBroker, removeBroker
 * and markOffsetAsCommitted; Broker's nodeId, versions and [Symbol('private:Broker:sendRequest')]; and
 * src/{retry, errors, producer/eosManager, protocol/error}.js. A release that moved any of them fails
 * PRODUCER_UNSUPPORTED at connect (the broker's sender: at the first send) rather than misbehaving.
 */
import { createRequire } from 'node:module';
import type { Kafka, Logger } from 'kafkajs';
import { StreamsError } from '../errors.js';
import { createErrorFromCode, type KafkaBroker, privateSymbol } from './kafkajs-fetch.js';
import { decodeProduceResponse } from './record-batch.js';
import type { OffsetsToCommit, ProducedPartition } from './streams-producer.js';

export interface EosManager {
  initProducerId(): Promise<void>;
  isInitialized(): boolean;
  isTransactional(): boolean;
  isInTransaction(): boolean;
  getTransactionalId(): string;
  getProducerId(): number | string;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  acquireBrokerLock(broker: ProducerBroker): Promise<void>;
  releaseBrokerLock(broker: ProducerBroker): void;
  beginTransaction(): void;
  addPartitionsToTransaction(topics: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
  sendOffsets(offsets: OffsetsToCommit): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface ProducerBroker extends KafkaBroker {
  readonly nodeId: string;
}

export interface ProducerCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): unknown[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<ProducerBroker>;
  removeBroker(address: { host: string; port: number }): void;
  markOffsetAsCommitted(offset: { groupId: string; topic: string; partition: number; offset: string }): void;
}

export type Retrier = <T>(fn: (bail: (error: unknown) => void) => Promise<T>) => Promise<T>;

/** The kafkajs modules the producer uses, loaded at its first connect (so that only it depends on them). */
interface KafkajsModules {
  readonly createRetry: (options: unknown) => Retrier;
  readonly createEosManager: (options: {
    logger: Logger;
    cluster: ProducerCluster;
    transactionTimeout: number;
    transactional: boolean;
    transactionalId: string | undefined;
  }) => EosManager;
  readonly staleMetadata: (error: unknown) => boolean;
  readonly KafkaJSMetadataNotLoaded: new (message: string) => Error;
}

let modules: KafkajsModules | undefined;

export function unsupported(message: string): StreamsError {
  return new StreamsError(
    'PRODUCER_UNSUPPORTED',
    `${message}: the native producer was written against kafkajs 2.2.4`,
  );
}

export function kafkajsModules(): KafkajsModules {
  if (modules) return modules;
  const requireKafkajs = createRequire(import.meta.url);
  let loaded: KafkajsModules;
  try {
    loaded = {
      createRetry: requireKafkajs('kafkajs/src/retry/index.js'),
      createEosManager: requireKafkajs('kafkajs/src/producer/eosManager/index.js'),
      staleMetadata: requireKafkajs('kafkajs/src/protocol/error.js').staleMetadata,
      KafkaJSMetadataNotLoaded: requireKafkajs('kafkajs/src/errors.js').KafkaJSMetadataNotLoaded,
    };
  } catch (error) {
    throw new StreamsError('PRODUCER_UNSUPPORTED', `kafkajs lacks a module: ${(error as Error).message}`, {
      cause: error,
    });
  }
  for (const [name, value] of Object.entries(loaded))
    if (typeof value !== 'function') throw unsupported(`kafkajs has no ${name}`);
  modules = loaded;
  return loaded;
}

function privateMember(target: object, description: string): unknown {
  return (target as Record<symbol, unknown>)[privateSymbol(target, description, unsupported)];
}

/** A cluster of the producer's own, with the client's retry settings: one request in flight per broker. */
export function createProducerCluster(kafka: Kafka): { cluster: ProducerCluster; retry: object } {
  const factory = privateMember(kafka, 'private:Kafka:createCluster');
  const retry = privateMember(kafka, 'private:Kafka:clusterRetry');
  if (typeof factory !== 'function') throw unsupported('the kafkajs client has no cluster factory');
  const cluster = factory({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
  }) as ProducerCluster;
  for (const method of ['addMultipleTargetTopics', 'findTopicPartitionMetadata', 'markOffsetAsCommitted'])
    if (typeof (cluster as unknown as Record<string, unknown>)[method] !== 'function')
      throw unsupported(`the kafkajs cluster has no ${method}`);
  return { cluster, retry: { ...(retry as object | undefined) } };
}

const PRODUCE_API_KEY = 0;
const PRODUCE_VERSION = 3;
/** The Broker's private method that sends a request and disconnects on a closed connection. */
let sendRequest: symbol | undefined;

/**
 * Sends a Produce v3 request body (encodeProduceRequest) to `broker` and resolves with each partition's
 * base offset; a partition's error rejects with kafkajs's error for its code (retriable or not, as kafkajs
 * says), as kafkajs's own Produce response does.
 */
export async function sendProduce(broker: ProducerBroker, body: Buffer): Promise<ProducedPartition[]> {
  const maxVersion = broker.versions?.[PRODUCE_API_KEY]?.maxVersion ?? -1;
  if (maxVersion < PRODUCE_VERSION)
    throw unsupported(`the broker supports Produce up to v${maxVersion}, the native producer sends v3`);
  sendRequest ??= privateSymbol(broker, 'private:Broker:sendRequest', unsupported);
  const send = (broker as unknown as Record<symbol, (request: unknown) => Promise<ProducedPartition[]>>)[
    sendRequest
  ];
  if (typeof send !== 'function') throw unsupported('the kafkajs broker cannot send requests');
  return send.call(broker, {
    request: {
      apiKey: PRODUCE_API_KEY,
      apiVersion: PRODUCE_VERSION,
      apiName: 'Produce',
      expectResponse: () => true,
      // kafkajs's connection copies an encoder's `buffer` behind the request header: this is one.
      encode: async () => ({ buf: body, buffer: body }),
    },
    response: {
      decode: async (payload: Buffer) => decodeProduceResponse(payload),
      parse: async (results: ReturnType<typeof decodeProduceResponse>) => {
        const failed = results.find((r) => r.errorCode !== 0);
        if (failed) throw createErrorFromCode(failed.errorCode);
        return results.map(({ topic, partition, baseOffset }) => ({ topic, partition, baseOffset }));
      },
    },
  });
}
