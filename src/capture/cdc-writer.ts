/**
 * The CDC's side of Kafka: one transactional producer (`<application.id>-cdc`, idempotent, one request in
 * flight) that writes `devices` records and the offsets that account for them in one transaction each, and
 * the start-up that makes that safe: topics checked, the transactional id taken over (fencing a previous
 * instance), then the offsets topic read to its end.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { describeError } from './cdc-events.js';
import { cdcOffsetsTopic, prepareCdcTopics, readCdcOffsets } from './cdc-offsets.js';
import type { CdcState } from './cdc-state.js';
import { CaptureError } from './errors.js';

export class CdcWriter {
  readonly offsetsTopic: string;
  readonly #kafka: Kafka;
  readonly #devicesTopic: string;
  readonly #producer: Producer;

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
      await transaction.sendBatch({
        topicMessages: [
          { topic: this.#devicesTopic, messages: [...devices] },
          { topic: this.offsetsTopic, messages: [...offsets] },
        ].filter((topic) => topic.messages.length > 0),
      });
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
      throw new CaptureError('CDC_KAFKA_FAILED', `could not write to Kafka: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }
}
