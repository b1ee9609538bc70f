import type { Kafka, Producer } from 'kafkajs';
import { ssidAlertSerde, TOPICS } from '../probes/schemas.js';
import { maxRecordBytes, recordSizeBound, topicMaxMessageBytes } from '../topology/index.js';
import { ApiError } from './errors.js';

/** The connected producer, and the largest record the topic takes (learnt when it connected). */
interface Connection {
  readonly producer: Producer;
  readonly maxRecordBytes: number;
}

/** Writes to the SSID alert list; each call resolves once the write is durable. */
export interface AlertListWriter {
  put(ssid: string, reason: string): Promise<void>;
  delete(ssid: string): Promise<void>;
}

export interface KafkaAlertListWriterOptions {
  readonly kafka: Kafka;
  /** Default `ssid_alert_list`. */
  readonly topic?: string;
  /** How long one write may wait for Kafka, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Seconds a client is asked to wait when Kafka did not take a write. Default 5. */
  readonly retryAfterSeconds?: number;
}

/**
 * The alert list's writes to the compacted `ssid_alert_list` topic: key = SSID, value = Avro `{reason}`,
 * a tombstone to remove. Each write waits for every in-sync replica (acks -1) from an idempotent producer,
 * so an answered write is not lost and a retried one is not doubled. The producer connects on the first
 * write, and learns then the topic's `max.message.bytes`. A write Kafka did not take fails with ApiError
 * SERVICE_UNAVAILABLE; one larger than the topic takes, with PAYLOAD_TOO_LARGE (413), since a retry would
 * fail alike.
 */
export class KafkaAlertListWriter implements AlertListWriter {
  readonly topic: string;
  readonly #kafka: Kafka;
  readonly #timeoutMs: number;
  readonly #retryAfter: number;
  readonly #serde = ssidAlertSerde();
  #producer: Promise<Connection> | undefined;
  #closed = false;

  constructor(options: KafkaAlertListWriterOptions) {
    this.#kafka = options.kafka;
    this.topic = options.topic ?? TOPICS.ssidAlertList;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retryAfter = options.retryAfterSeconds ?? 5;
  }

  put(ssid: string, reason: string): Promise<void> {
    return this.#send(ssid, this.#serde.serialize({ reason }));
  }

  delete(ssid: string): Promise<void> {
    return this.#send(ssid, null);
  }

  /** Disconnects the producer. Idempotent; writes after it fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.then((connected) => connected.producer.disconnect()).catch(() => undefined);
  }

  async #send(ssid: string, value: Buffer | null): Promise<void> {
    if (this.#closed) throw new Error('the alert list writer is closed');
    let connection: Connection;
    try {
      connection = await this.#connect();
    } catch (error) {
      throw this.#unavailable(error);
    }
    const bytes = recordSizeBound({ key: ssid, value });
    if (bytes > connection.maxRecordBytes) {
      throw new ApiError(
        'PAYLOAD_TOO_LARGE',
        `the entry is ${bytes} bytes as a record, more than topic ${this.topic} takes (${connection.maxRecordBytes})`,
      );
    }
    try {
      await connection.producer.send({
        topic: this.topic,
        acks: -1,
        timeout: this.#timeoutMs,
        messages: [{ key: ssid, value }],
      });
    } catch (error) {
      throw this.#unavailable(error);
    }
  }

  #unavailable(cause: unknown): ApiError {
    return new ApiError('SERVICE_UNAVAILABLE', 'Kafka did not take the write to the alert list; try again', {
      retryAfterSeconds: this.#retryAfter,
      cause,
    });
  }

  #connect(): Promise<Connection> {
    if (this.#producer === undefined) {
      const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      const connecting = producer.connect().then(async () => ({
        producer,
        maxRecordBytes: maxRecordBytes(await topicMaxMessageBytes(this.#kafka, this.topic)),
      }));
      // A failed connection is not kept: the next write tries again.
      connecting.catch(() => {
        if (this.#producer === connecting) this.#producer = undefined;
      });
      this.#producer = connecting;
    }
    return this.#producer;
  }
}
