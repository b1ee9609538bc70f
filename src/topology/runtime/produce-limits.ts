import type { Admin } from 'kafkajs';
import type { Logger } from '../../logging/index.js';
import {
  BATCH_OVERHEAD_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  fetchMaxMessageBytes,
  maxRecordBytes,
  type RequestLimits,
} from '../kafka/record-size.js';

/**
 * What the broker takes from this instance's producers: each topic's `max.message.bytes` (learnt when the
 * instance starts) and `maxRequestBytes` (as the Java producer's `max.request.size`). Tasks check each record
 * against it as they write it; commits split their requests by it.
 */
export class ProduceLimits {
  readonly #maxRequestBytes: number;
  #topics = new Map<string, number>();

  constructor(maxRequestBytes: number) {
    this.#maxRequestBytes = maxRequestBytes;
  }

  /**
   * Reads the topics' limits. A broker that will not describe them (no DescribeConfigs permission) leaves
   * Kafka's default, which `logger` says.
   */
  async load(admin: Admin, topics: readonly string[], logger: Logger): Promise<void> {
    try {
      this.#topics = await fetchMaxMessageBytes(admin, topics);
    } catch (error) {
      logger.warn(
        `could not read the topics' max.message.bytes (${(error as Error).message}); assuming ${DEFAULT_MAX_MESSAGE_BYTES}`,
      );
    }
  }

  maxMessageBytes(topic: string): number {
    return this.#topics.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The largest record (its size bound) that may be written to `topic`. */
  maxRecordBytes(topic: string): number {
    return Math.min(
      maxRecordBytes(this.maxMessageBytes(topic)),
      this.#maxRequestBytes - BATCH_OVERHEAD_BYTES,
    );
  }

  /** Limits for produce requests of at most `maxRecords` records. */
  requests(maxRecords: number): RequestLimits {
    return {
      maxRecords,
      maxRequestBytes: this.#maxRequestBytes,
      maxMessageBytes: (topic) => this.maxMessageBytes(topic),
    };
  }
}
