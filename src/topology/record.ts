/** Kafka record headers, as kafkajs carries them. */
export type RecordHeaders = Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;

/**
 * A record as processors see it: immutable; a processor that changes one forwards a new one
 * (`{ ...record, value }`). `timestamp` is event time in epoch milliseconds, from the timestamp extractor.
 */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** Where the record being processed came from. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The offset, as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
}

/** A task: one partition of one sub-topology, written `<subtopology>_<partition>` as in Kafka Streams. */
export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export function taskIdString(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

export function parseTaskId(text: string): TaskId {
  const match = /^(\d+)_(\d+)$/.exec(text);
  if (!match) throw new TypeError(`not a task id: ${JSON.stringify(text)}`);
  return { subtopology: Number(match[1]), partition: Number(match[2]) };
}

/** Where a record's event time comes from. Must return epoch milliseconds, a finite number >= 0. */
export type TimestampExtractor<K = unknown, V = unknown> = (
  record: { readonly key: K; readonly value: V; readonly timestamp: number; readonly headers: RecordHeaders },
  metadata: RecordMetadata,
) => number;

/** The default: the Kafka record's own timestamp (CreateTime or LogAppendTime). */
export const recordTimestamp: TimestampExtractor = (record) => record.timestamp;
