/**
 * A producer that writes its record batches itself (record-batch.ts) from the engine's records, partition
 * already chosen, with no kafkajs message objects in between: kafkajs's produce path spreads every message
 * into new objects, encodes each record into an Encoder of its own, copies them as its encoders grow and
 * groups a request's messages by partition quadratically.
 *
 * All the rest is kafkajs's (kafkajs-produce.ts lists what it relies on): connections, SASL/SSL,
 * metadata, retries and, through its eosManager, producer ids, sequences and transactions. A request is
 * retried after a metadata refresh on the errors kafkajs retries, with the same sequences.
 */
import type { Kafka } from 'kafkajs';
import { StreamsError } from '../errors.js';
import {
  createProducerCluster,
  type EosManager,
  kafkajsModules,
  type ProducerBroker,
  type ProducerCluster,
  type Retrier,
  sendProduce,
} from './kafkajs-produce.js';
import { encodeProduceRequest, type PartitionBatch, type ProducedRecord } from './record-batch.js';
import type {
  OffsetsToCommit,
  ProducedPartition,
  StreamsProducer,
  StreamsProducerOptions,
  StreamsTransaction,
  TopicRecords,
} from './streams-producer.js';

const ACKS_ALL = -1;
const PRODUCE_TIMEOUT_MS = 30_000;
const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/** One partition's records of a request, in order. */
interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: ProducedRecord[];
}

/** Groups a request's records by partition in one pass, keeping each partition's order. */
function byPartition(request: readonly TopicRecords[]): PartitionRecords[] {
  const groups: PartitionRecords[] = [];
  for (const { topic, messages } of request) {
    const slots = new Map<number, PartitionRecords>();
    for (const record of messages) {
      let slot = slots.get(record.partition);
      if (!slot) {
        slot = { topic, partition: record.partition, records: [] };
        slots.set(record.partition, slot);
        groups.push(slot);
      }
      slot.records.push(record);
    }
  }
  return groups;
}

export class NativeProducer implements StreamsProducer {
  readonly #kafka: Kafka;
  readonly #options: StreamsProducerOptions;
  #cluster: ProducerCluster | undefined;
  #eos: EosManager | undefined;
  #retrier: Retrier | undefined;

  constructor(kafka: Kafka, options: StreamsProducerOptions) {
    this.#kafka = kafka;
    this.#options = options;
  }

  async connect(): Promise<void> {
    const { createEosManager, createRetry } = kafkajsModules();
    const { cluster, retry } = createProducerCluster(this.#kafka);
    const { transactionalId } = this.#options;
    const eos = createEosManager({
      logger: this.#kafka.logger().namespace('NativeProducer'),
      cluster,
      transactionTimeout: this.#options.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
      transactional: transactionalId !== undefined,
      transactionalId,
    });
    this.#retrier = createRetry(retry);
    await cluster.connect();
    this.#cluster = cluster;
    this.#eos = eos;
    // The producer id (and, with a transactional.id, the fencing of older producers) before any send.
    await eos.initProducerId();
  }

  async disconnect(): Promise<void> {
    const cluster = this.#cluster;
    this.#cluster = undefined;
    await cluster?.disconnect();
  }

  async send(request: readonly TopicRecords[]): Promise<ProducedPartition[]> {
    const { cluster, eos } = this.#connected();
    if (eos.isTransactional())
      throw new StreamsError('ILLEGAL_STATE', 'a transactional producer sends within a transaction');
    return this.#send(cluster, eos, request);
  }

  async transaction(): Promise<StreamsTransaction> {
    const { cluster, eos } = this.#connected();
    if (!eos.isTransactional())
      throw new StreamsError('ILLEGAL_STATE', 'a producer without a transactionalId has no transactions');
    if (eos.isInTransaction())
      throw new StreamsError('ILLEGAL_STATE', 'a transaction is already running on this producer');
    if (!eos.isInitialized()) await eos.initProducerId();
    eos.beginTransaction();
    let ended = false;
    const guard = <A extends unknown[], T>(fn: (...args: A) => Promise<T>) => {
      return (...args: A): Promise<T> =>
        ended || !eos.isInTransaction()
          ? Promise.reject(new StreamsError('ILLEGAL_STATE', 'the transaction has ended'))
          : fn(...args);
    };
    return {
      send: guard((request: readonly TopicRecords[]) => this.#send(cluster, eos, request)),
      sendOffsets: guard(async (offsets: OffsetsToCommit) => {
        await eos.sendOffsets(offsets);
        for (const { topic, partitions } of offsets.topics) {
          for (const { partition, offset } of partitions)
            cluster.markOffsetAsCommitted({ groupId: offsets.consumerGroupId, topic, partition, offset });
        }
      }),
      commit: guard(async () => {
        await eos.commit();
        ended = true;
      }),
      abort: guard(async () => {
        await eos.abort();
        ended = true;
      }),
      isActive: () => !ended && eos.isInTransaction(),
    };
  }

  #connected(): { cluster: ProducerCluster; eos: EosManager } {
    if (!this.#cluster || !this.#eos)
      throw new StreamsError('ILLEGAL_STATE', 'the native producer is not connected');
    return { cluster: this.#cluster, eos: this.#eos };
  }

  /**
   * Sends a request to each partition leader it involves, retrying as kafkajs's producer does: a stale
   * leader or metadata refreshes the metadata first; a broker that answered is not asked again.
   */
  async #send(
    cluster: ProducerCluster,
    eos: EosManager,
    request: readonly TopicRecords[],
  ): Promise<ProducedPartition[]> {
    const groups = byPartition(request);
    const topics = [...new Set(request.map(({ topic }) => topic))];
    const answered = new Map<string, ProducedPartition[]>();
    const retrier = this.#retrier as Retrier;
    return retrier(async (bail) => {
      await cluster.addMultipleTargetTopics(topics);
      try {
        await cluster.refreshMetadataIfNecessary();
        const perLeader = this.#byLeader(cluster, groups);
        await Promise.all(
          [...perLeader]
            .filter(([nodeId]) => !answered.has(nodeId))
            .map(async ([nodeId, partitions]) => {
              const broker = await cluster.findBroker({ nodeId });
              answered.set(nodeId, await this.#sendToBroker(broker, eos, partitions));
            }),
        );
        return [...answered.values()].flat();
      } catch (error) {
        const e = error as { name?: string; host?: string; port?: number; retriable?: boolean };
        if (e.name === 'KafkaJSConnectionClosedError' && e.host !== undefined && e.port !== undefined)
          cluster.removeBroker({ host: e.host, port: e.port });
        if (!cluster.isConnected()) {
          await cluster.connect();
          await cluster.refreshMetadata();
          throw error;
        }
        if (
          kafkajsModules().staleMetadata(error) ||
          e.name === 'KafkaJSMetadataNotLoaded' ||
          e.name === 'KafkaJSConnectionError' ||
          e.name === 'KafkaJSConnectionClosedError' ||
          (e.name === 'KafkaJSProtocolError' && e.retriable === true)
        ) {
          await cluster.refreshMetadata();
          throw error;
        }
        if (e.retriable === true) throw error;
        bail(error);
        return [];
      }
    });
  }

  /** The request's partitions by the node id of their leader; every partition must have one. */
  #byLeader(cluster: ProducerCluster, groups: readonly PartitionRecords[]): Map<string, PartitionRecords[]> {
    const { KafkaJSMetadataNotLoaded } = kafkajsModules();
    const leaderOf = new Map<string, string>();
    for (const topic of new Set(groups.map((g) => g.topic))) {
      if (cluster.findTopicPartitionMetadata(topic).length === 0)
        throw new KafkaJSMetadataNotLoaded(`no metadata for topic ${topic}`);
      const partitions = groups.filter((g) => g.topic === topic).map((g) => g.partition);
      for (const [nodeId, led] of Object.entries(cluster.findLeaderForPartitions(topic, partitions)))
        for (const partition of led) leaderOf.set(`${topic}:${partition}`, nodeId);
    }
    const perLeader = new Map<string, PartitionRecords[]>();
    for (const group of groups) {
      const nodeId = leaderOf.get(`${group.topic}:${group.partition}`);
      // kafkajs would drop such a partition's records silently; here the metadata is refreshed and retried.
      if (nodeId === undefined)
        throw new KafkaJSMetadataNotLoaded(`no leader known for ${group.topic}-${group.partition}`);
      const list = perLeader.get(nodeId) ?? [];
      list.push(group);
      perLeader.set(nodeId, list);
    }
    return perLeader;
  }

  /** One Produce request to one broker, under the producer's lock for it, sequences taken and given back on failure. */
  async #sendToBroker(
    broker: ProducerBroker,
    eos: EosManager,
    partitions: readonly PartitionRecords[],
  ): Promise<ProducedPartition[]> {
    await eos.acquireBrokerLock(broker);
    try {
      const byTopic = new Map<string, PartitionBatch[]>();
      if (eos.isTransactional()) {
        await eos.addPartitionsToTransaction(
          [...new Set(partitions.map((p) => p.topic))].map((topic) => ({
            topic,
            partitions: partitions.filter((p) => p.topic === topic).map(({ partition }) => ({ partition })),
          })),
        );
      }
      for (const { topic, partition, records } of partitions) {
        const baseSequence = eos.getSequence(topic, partition);
        eos.updateSequence(topic, partition, records.length);
        const list = byTopic.get(topic) ?? [];
        list.push({ partition, records, baseSequence });
        byTopic.set(topic, list);
      }
      try {
        return await this.#produce(broker, eos, byTopic);
      } catch (error) {
        for (const { topic, partition, records } of partitions)
          eos.updateSequence(topic, partition, -records.length);
        throw error;
      }
    } finally {
      eos.releaseBrokerLock(broker);
    }
  }

  async #produce(
    broker: ProducerBroker,
    eos: EosManager,
    byTopic: Map<string, PartitionBatch[]>,
  ): Promise<ProducedPartition[]> {
    const body = encodeProduceRequest({
      transactionalId: eos.isTransactional() ? eos.getTransactionalId() : null,
      acks: ACKS_ALL,
      timeoutMs: PRODUCE_TIMEOUT_MS,
      producerId: BigInt(eos.getProducerId()),
      producerEpoch: eos.getProducerEpoch(),
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    return sendProduce(broker, body);
  }
}
