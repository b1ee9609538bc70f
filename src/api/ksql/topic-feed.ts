import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { PartitionReader, type ReadRecord } from '../../topology/index.js';

export interface TopicFeedOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Start at each partition's end as it is when `start` is called, or at its log start. */
  readonly from: 'latest' | 'earliest';
  readonly onRecords: (records: readonly ReadRecord[]) => void;
  /** Called once if the feed stops for a reason other than `close` (Kafka refusing it for good). */
  readonly onEnd: (error: Error) => void;
  /** ms between looks at partitions that had nothing new. Default 100. */
  readonly pollMs?: number;
}

/**
 * Follows every partition of a topic for one push query, without a consumer group (nothing to join, nothing
 * committed, nothing left behind): a PartitionReader reads each partition to its end, then again once new
 * records are there. `start` resolves once the start offsets are fixed, so nothing written after it is missed.
 */
export class TopicFeed {
  readonly #options: TopicFeedOptions;
  readonly #reader: PartitionReader;
  readonly #abort = new AbortController();
  #following: Promise<void> | undefined;

  constructor(options: TopicFeedOptions) {
    this.#options = options;
    this.#reader = new PartitionReader(options.kafka, { isolation: 'read_committed' });
  }

  async start(): Promise<void> {
    const { kafka, topic, from } = this.#options;
    await this.#reader.connect();
    try {
      const admin = kafka.admin();
      await admin.connect();
      let partitions: number[];
      try {
        partitions = (await admin.fetchTopicOffsets(topic)).map((o) => o.partition);
      } finally {
        await admin.disconnect();
      }
      const positions = new Map<number, bigint>();
      for (const partition of partitions) {
        const offset =
          from === 'earliest'
            ? await this.#reader.startOffset(topic, partition)
            : await this.#reader.endOffset(topic, partition);
        positions.set(partition, offset);
      }
      this.#following = this.#follow(positions);
    } catch (error) {
      await this.#reader.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async #follow(positions: Map<number, bigint>): Promise<void> {
    const { topic, pollMs = 100 } = this.#options;
    const signal = this.#abort.signal;
    try {
      while (!signal.aborted) {
        let read = false;
        for (const [partition, from] of positions) {
          const end = await this.#reader.endOffset(topic, partition);
          if (end <= from || signal.aborted) continue;
          read = true;
          const next = await this.#reader.read(topic, partition, from, end, this.#options.onRecords, {
            signal,
          });
          positions.set(partition, next);
        }
        if (!read) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      }
    } catch (error) {
      if (!signal.aborted) this.#options.onEnd(error as Error);
    }
  }

  /** Stops following and disconnects. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#following?.catch(() => undefined);
    await this.#reader.disconnect().catch(() => undefined);
  }
}
