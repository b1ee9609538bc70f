import type { RecordHeaders } from '../record.js';
import { partitionForKey } from './murmur2.js';

/** A record on its way out: to a sink, repartition, changelog or dead-letter topic. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Chosen by the caller (changelogs, the DLQ), else by key hash (or round robin for a null key). */
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers?: RecordHeaders;
}

/** Where tasks put what they produce. Nothing leaves before the next commit. */
export interface RecordCollector {
  /** `bytes`: the record's size bound, when the caller has it already (see recordSizeBound). */
  send(record: OutgoingRecord, bytes?: number): void;
}

export interface ResolvedRecord {
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: RecordHeaders;
  /** Its size bound, when known: splitting a commit into requests needs it. */
  readonly bytes?: number | undefined;
}

/**
 * Buffers outgoing records until a commit takes them, with each record's partition resolved: murmur2 of the
 * key as Kafka's default partitioner does, so a repartition topic routes a key to the task that owns it.
 */
export class BufferingRecordCollector implements RecordCollector {
  readonly #partitions: (topic: string) => number;
  #buffered = new Map<string, ResolvedRecord[]>();
  #count = 0;
  #roundRobin = 0;

  /** `partitions` answers the partition count of every topic the tasks may write. */
  constructor(partitions: (topic: string) => number) {
    this.#partitions = partitions;
  }

  send(record: OutgoingRecord, bytes?: number): void {
    const partition =
      record.partition ??
      (record.key === null
        ? this.#roundRobin++ % this.#partitions(record.topic)
        : partitionForKey(record.key, this.#partitions(record.topic)));
    let list = this.#buffered.get(record.topic);
    if (!list) {
      list = [];
      this.#buffered.set(record.topic, list);
    }
    list.push({
      partition,
      key: record.key,
      value: record.value,
      timestamp: String(record.timestamp),
      ...(record.headers ? { headers: record.headers } : {}),
      bytes,
    });
    this.#count += 1;
  }

  get size(): number {
    return this.#count;
  }

  /** Hands over everything buffered, by topic, and starts empty. */
  drain(): Map<string, ResolvedRecord[]> {
    const drained = this.#buffered;
    this.#buffered = new Map();
    this.#count = 0;
    return drained;
  }

  /** Drops everything buffered: the task goes back to its last commit. */
  clear(): void {
    this.#buffered = new Map();
    this.#count = 0;
  }
}
