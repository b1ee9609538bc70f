import { RecordTooLargeError, type StreamsError } from '../errors.js';
import { recordSizeBound } from '../kafka/record-size.js';
import type { RecordMetadata, StreamRecord } from '../record.js';
import type { SinkNode } from '../topology.js';
import { type DeadLetterContent, deadLetterRecord } from './dead-letter.js';
import { partitionForKey } from './murmur2.js';
import type { OutgoingRecord } from './record-collector.js';
import type { RawRecord } from './source-record.js';
import type { TaskEnvironment } from './task.js';

/**
 * Where a task's records go, as Kafka Streams' sink nodes and record collector take them: a sink's records
 * serialized and partitioned, every record (sink, changelog) checked against its topic's limit before it
 * is buffered in the collector, and failed records sent to the dead-letter queue.
 */
export class TaskOutput {
  readonly #env: TaskEnvironment;
  readonly #task: string;

  constructor(env: TaskEnvironment, task: string) {
    this.#env = env;
    this.#task = task;
  }

  /** A sink's record: serialized, and partitioned by its partitioner (or, into a repartition topic, by key). */
  sink(node: SinkNode, topic: string, record: StreamRecord<unknown, unknown>): void {
    const { key: rawKey, value: rawValue } = record;
    const key = rawKey === null || rawKey === undefined ? null : node.keySerde.serialize(rawKey, topic);
    const value =
      rawValue === null || rawValue === undefined ? null : node.valueSerde.serialize(rawValue, topic);
    let partition = node.partitioner?.(rawKey, rawValue, this.#env.partitions(topic));
    if (partition === undefined && node.internal && key !== null) {
      partition = partitionForKey(key, this.#env.partitions(topic));
    }
    this.send({
      topic,
      ...(partition === undefined ? {} : { partition }),
      key,
      value,
      timestamp: record.timestamp,
      headers: record.headers,
    });
  }

  /** Every record the task writes goes through here: checked against its topic's limit, then buffered. */
  send(record: OutgoingRecord): void {
    this.#env.collector.send(record, this.checkSize(record));
  }

  /**
   * Throws RecordTooLargeError for a record its topic would refuse (a broker takes it whole or not at all);
   * else answers its size bound, which the commit reuses to split its requests.
   */
  checkSize(record: OutgoingRecord): number {
    const bytes = recordSizeBound(record);
    const limit = this.#env.maxRecordBytes(record.topic);
    if (bytes > limit) {
      const { topic, key, value, timestamp } = record;
      throw new RecordTooLargeError({ topic, key, value, timestamp, bytes, limit });
    }
    return bytes;
  }

  /** Sends the failed record (or, for a production error, the refused one) to the DLQ. */
  deadLetter(
    raw: RawRecord,
    source: RecordMetadata,
    error: StreamsError,
    content: DeadLetterContent = { ...raw, timestamp: Number(raw.timestamp) },
    targetTopic?: string,
  ): void {
    const code = error.code ?? 'PROCESSING_FAILED';
    const topic = `${this.#env.applicationId}-dlq`;
    const limits = [this.#env.partitions(topic), this.#env.maxRecordBytes(topic)] as const;
    this.#env.collector.send(
      deadLetterRecord(topic, ...limits, content, {
        code,
        errorClass: error.name,
        message: String(error.message),
        source,
        sourceTimestamp: raw.timestamp,
        task: this.#task,
        ...(targetTopic === undefined ? {} : { targetTopic }),
      }),
    );
    this.#env.onDeadLetter?.(code, source);
  }
}
