/**
 * The CDC's side of Kafka: one transactional producer (`<application.id>-cdc`, idempotent, one request in
 * flight) that writes `devices` records and the offsets that account for them in one transaction each, and
 * the start-up that makes that safe: topics checked, the transactional id taken over (fencing a previous
 * instance), then the offsets topic read to its end. A transaction is sent in requests that stay within each
 * topic's `max.message.bytes`: a snapshot of a large controller writes thousands of offsets entries to one
 * partition, more than one request may carry.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import {
  boundedRequests,
  DEFAULT_MAX_MESSAGE_BYTES,
  fetchMaxMessageBytes,
  maxRecordBytes,
  recordSizeBound,
} from '../topology/index.js';
import { describeError } from './cdc-events.js';
import { cdcOffsetsTopic, documentMessage, prepareCdcTopics, readCdcOffsets } from './cdc-offsets.js';
import type { CdcState, WrittenDocument } from './cdc-state.js';
import { CaptureError } from './errors.js';

/** Records and bytes per produce request of a transaction, as the Java producer's defaults. */
const REQUEST_LIMITS = { maxRecords: 10_000, maxRequestBytes: 1 << 20 };

export class CdcWriter {
  readonly offsetsTopic: string;
  readonly #kafka: Kafka;
  readonly #devicesTopic: string;
  readonly #producer: Producer;
  /** Each topic's `max.message.bytes`, learnt at `open`. */
  #maxMessageBytes = new Map<string, number>();

  constructor(kafka: Kafka, applicationId: string, devicesTopic: string) {
    this.#kafka = kafka;
    this.#devicesTopic = devicesTopic;
    this.offsetsTopic = cdcOffsetsTopic(applicationId);
    this.#producer = kafka.producer({
      transactionalId: `${applicationId}-cdc`,
      idempotent: true,
      maxInFlightRequests: 1,
      // A topic deleted under a running CDC must fail its writes, not come back with default settings.
      allowAutoTopicCreation: false,
    });
  }

  /**
   * Checks the topics (CDC_TOPIC_MISSING without `devices`; creates the offsets topic), takes over the
   * transactional id and reads the offsets topic into `state`. Resolves with the number of records read.
   */
  async open(state: CdcState): Promise<number> {
    try {
      const admin = this.#kafka.admin();
      await admin.connect();
      try {
        await prepareCdcTopics(admin, this.#devicesTopic, this.offsetsTopic);
        this.#maxMessageBytes = await fetchMaxMessageBytes(admin, [this.#devicesTopic, this.offsetsTopic]);
      } finally {
        await admin.disconnect();
      }
      await this.#producer.connect();
      // kafkajs initialises the transactional id with the first transaction. Doing it now fences an older
      // CDC of this application id and makes the coordinator finish that one's open transaction, so that
      // the offsets read next end at what it committed rather than wait behind it.
      await (await this.#producer.transaction()).abort();
      return await readCdcOffsets(this.#kafka, this.offsetsTopic, state);
    } catch (error) {
      if (error instanceof CaptureError) throw error;
      throw new CaptureError(
        'CDC_KAFKA_FAILED',
        `could not prepare the CDC's topics: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** Writes both lists in one transaction: all of them, or (when it fails, with CDC_KAFKA_FAILED) none. */
  async write(devices: readonly Message[], offsets: readonly Message[]): Promise<void> {
    if (devices.length === 0 && offsets.length === 0) return;
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      transaction = await this.#producer.transaction();
      const byTopic = [
        [this.#devicesTopic, devices],
        [this.offsetsTopic, offsets],
      ] as const;
      const limits = { ...REQUEST_LIMITS, maxMessageBytes: (topic: string) => this.#limit(topic) };
      // Devices records carry no partition (keyed by MAC): their whole share is held to one batch's limit.
      for (const request of boundedRequests(byTopic, limits, (message) => message.partition)) {
        await transaction.sendBatch({ topicMessages: request });
      }
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
      throw new CaptureError('CDC_KAFKA_FAILED', `could not write to Kafka: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Why a document's records cannot be written (its `devices` record or its offsets entry is larger than
   * the topic takes), or undefined when they can. Such a document is skipped like one without a MAC: a
   * transaction holding it would be refused whole, again at every retry.
   */
  oversize(key: string, written: WrittenDocument, deviceValue: Buffer): string | undefined {
    const device = recordSizeBound({ key: written.mac, value: deviceValue });
    const entry = recordSizeBound(documentMessage(key, written));
    for (const [what, bytes, topic] of [
      ['device record', device, this.#devicesTopic],
      ['offsets entry', entry, this.offsetsTopic],
    ] as const) {
      const limit = maxRecordBytes(this.#limit(topic));
      if (bytes > limit) return `its ${what} is ${bytes} bytes, more than topic ${topic} takes (${limit})`;
    }
    return undefined;
  }

  #limit(topic: string): number {
    return this.#maxMessageBytes.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }
}
