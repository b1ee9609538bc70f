import type { Kafka, Message, Producer } from 'kafkajs';
import { normalizeMac, type PcapValue } from '../probes/pcap.js';
import {
  boundedRequests,
  DEFAULT_MAX_MESSAGE_BYTES,
  maxRecordBytes,
  recordSizeBound,
  topicMaxMessageBytes,
} from '../topology/index.js';
import { CaptureError } from './errors.js';

export interface CaptureProducerOptions {
  readonly kafka: Kafka;
  /** Default 'pcap'. */
  readonly topic?: string;
  /** Records per produce request, 1 to 100,000. Default 2,000. */
  readonly batchSize?: number;
  /** Produce requests awaiting acknowledgement before `write` waits (the backpressure), 1 to 64. Default 4. */
  readonly maxInFlight?: number;
  /** A batch that is not full is sent after this many ms. Default 100. */
  readonly lingerMs?: number;
  /** How often a failed request is retried before the producer fails, 0 to 100. Default 10. */
  readonly retries?: number;
  /**
   * Bytes (records' size bounds summed) per produce request, as the Java producer's `max.request.size`:
   * 1,024 to 64 MiB. Default 1 MiB. Whatever this says, one request never carries more than the topic's
   * `max.message.bytes` (learnt at `connect`).
   */
  readonly maxRequestBytes?: number;
  /** Told of every frame too large for the topic, which is skipped (not produced). */
  readonly onSkipped?: (skipped: SkippedRecord) => void;
}

/** A frame the producer did not write because the topic would refuse it. */
export interface SkippedRecord {
  readonly key: string | null;
  readonly timestamp: unknown;
  /** The record's size bound, in bytes. */
  readonly bytes: number;
  /** The largest record the topic takes, in bytes. */
  readonly limit: number;
}

export interface CaptureProducerStats {
  /** Records queued for Kafka (skipped ones not included). */
  readonly written: number;
  /** Records Kafka acknowledged (acks=all). */
  readonly acknowledged: number;
  /** Frames larger than the topic takes, not produced. */
  readonly skipped: number;
}

/** The key of a `pcap` record: the frame's source MAC, lower-case with colons, or null when it has none. */
export function pcapKey(value: PcapValue): string | null {
  const sa = Array.isArray(value.wlan_sa) ? value.wlan_sa[0] : value.wlan_sa;
  return typeof sa === 'string' ? (normalizeMac(sa) ?? null) : null;
}

/**
 * Writes captured frames to the `pcap` topic, keyed by source MAC, in batches with a bounded number of
 * requests in flight: `write` returns at once while there is room and waits for an acknowledgement when
 * there is not, so a reader never runs ahead of Kafka. `close` flushes and waits for every acknowledgement;
 * any failed request fails the next `write`, `flush` or `close` with CAPTURE_PRODUCE_FAILED.
 *
 * Requests are bounded by bytes: a batch is sent as several requests when its records would pass the
 * topic's `max.message.bytes` (a broker refuses such a request whole, which used to stop a replay midway).
 * A single frame larger than the topic takes is skipped and counted, and `onSkipped` told: one odd frame
 * must not end a capture.
 */
export class CaptureProducer {
  readonly topic: string;
  readonly #kafka: Kafka;
  readonly #batchSize: number;
  readonly #maxInFlight: number;
  readonly #lingerMs: number;
  readonly #retries: number;
  readonly #maxRequestBytes: number;
  readonly #onSkipped: ((skipped: SkippedRecord) => void) | undefined;
  #maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
  #producer: Producer | undefined;
  #batch: Message[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #linger: NodeJS.Timeout | undefined;
  #failure: unknown;
  #written = 0;
  #acknowledged = 0;
  #skipped = 0;
  #closed = false;

  constructor(options: CaptureProducerOptions) {
    this.#kafka = options.kafka;
    this.topic = options.topic ?? 'pcap';
    this.#batchSize = bounded('batchSize', options.batchSize ?? 2000, 1, 100_000);
    this.#maxInFlight = bounded('maxInFlight', options.maxInFlight ?? 4, 1, 64);
    this.#lingerMs = bounded('lingerMs', options.lingerMs ?? 100, 0, 60_000);
    this.#retries = bounded('retries', options.retries ?? 10, 0, 100);
    this.#maxRequestBytes = bounded('maxRequestBytes', options.maxRequestBytes ?? 1 << 20, 1024, 1 << 26);
    this.#onSkipped = options.onSkipped;
  }

  /** The topic's `max.message.bytes` as learnt at `connect` (DEFAULT_MAX_MESSAGE_BYTES before, or when unknown). */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  async connect(): Promise<void> {
    if (this.#producer) return;
    // Idempotent: a request retried after a lost answer (a leader change, a timeout) is not written twice,
    // which would count a probe request twice. kafkajs then sends one request at a time per broker.
    const producer = this.#kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      retry: { retries: this.#retries, initialRetryTime: 100, maxRetryTime: 5000 },
    });
    try {
      await producer.connect();
    } catch (error) {
      throw new CaptureError(
        'CAPTURE_PRODUCE_FAILED',
        `cannot connect to Kafka: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.#producer = producer;
    // Asked once: a replay of one file needs no more.
    this.#maxMessageBytes = await topicMaxMessageBytes(this.#kafka, this.topic);
  }

  get stats(): CaptureProducerStats {
    return { written: this.#written, acknowledged: this.#acknowledged, skipped: this.#skipped };
  }

  /** Queues one frame; waits only when `maxInFlight` requests are unacknowledged. */
  async write(value: PcapValue, key: string | null = pcapKey(value)): Promise<void> {
    this.#check();
    const message = { key, value: JSON.stringify(value) };
    const bytes = recordSizeBound(message);
    const limit = maxRecordBytes(this.#maxMessageBytes);
    if (bytes > limit) {
      this.#skipped++;
      this.#onSkipped?.({ key, timestamp: value.timestamp, bytes, limit });
      return;
    }
    this.#batch.push(message);
    this.#written++;
    if (this.#batch.length >= this.#batchSize) {
      await this.#send();
    } else if (this.#linger === undefined && this.#lingerMs >= 0) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined;
        this.#send().catch(() => {});
      }, this.#lingerMs);
    }
  }

  /** Sends what is queued and waits until Kafka acknowledged every record written so far. */
  async flush(): Promise<void> {
    await this.#send();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#check();
  }

  /** Flushes, then disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#producer) await this.flush();
    } finally {
      this.#closed = true;
      clearTimeout(this.#linger);
      await this.#producer?.disconnect().catch(() => {});
      this.#producer = undefined;
    }
  }

  #check(): void {
    if (this.#failure !== undefined) {
      const error = this.#failure as Error;
      throw new CaptureError(
        'CAPTURE_PRODUCE_FAILED',
        `Kafka did not acknowledge records for topic ${this.topic}: ${error.message}`,
        { cause: error },
      );
    }
    if (this.#closed) throw new CaptureError('CAPTURE_PRODUCE_FAILED', 'the capture producer is closed');
    if (!this.#producer)
      throw new CaptureError('CAPTURE_PRODUCE_FAILED', 'connect() the capture producer first');
  }

  async #send(): Promise<void> {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    const limits = {
      maxRecords: this.#batchSize,
      maxRequestBytes: this.#maxRequestBytes,
      maxMessageBytes: () => this.#maxMessageBytes,
    };
    // Records carry no partition (the default partitioner picks it by key), so the whole request is held
    // to the topic's batch limit, as if every record went to one partition.
    for (const request of boundedRequests([[this.topic, batch]], limits, () => undefined)) {
      for (const { messages } of request) await this.#request(messages);
    }
  }

  async #request(messages: Message[]): Promise<void> {
    while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight);
    const producer = this.#producer as Producer;
    const request: Promise<void> = producer
      .send({ topic: this.topic, acks: -1, messages })
      .then(
        () => {
          this.#acknowledged += messages.length;
        },
        (error: unknown) => {
          this.#failure ??= error;
        },
      )
      .finally(() => this.#inFlight.delete(request));
    this.#inFlight.add(request);
  }
}

function bounded(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(
      `CaptureProducer: ${name} must be a whole number from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}
