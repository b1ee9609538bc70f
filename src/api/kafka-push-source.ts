import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logging/index.js';
import { PushHub, type PushSource, type Unsubscribe } from './push.js';

export interface KafkaPushSourceOptions<T> {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Prefix of the consumer group's id; a random suffix makes it this instance's own. */
  readonly groupIdPrefix: string;
  /** The event a record stands for, or undefined to skip it (a tombstone, another frame type, garbage). */
  readonly decode: (message: KafkaMessage) => T | undefined;
  /** After the last subscriber leaves, the consumer stops once this many ms pass without a new one. Default 30,000. */
  readonly idleStopMs?: number;
  readonly logger?: Logger;
}

/**
 * A push source fed by one Kafka topic: a consumer of its own (a unique group id, so every instance and
 * every restart sees every record) started on the first subscription and stopped when no one has listened
 * for a while, or on close. It starts at the end of the topic as it was when the first subscriber came —
 * those offsets are looked up before the group is joined and sought to — so that nothing published after
 * `subscribe` resolved is missed, however long the join takes. Records are decoded once and fanned out.
 */
export class KafkaPushSource<T> implements PushSource<T> {
  readonly #options: KafkaPushSourceOptions<T>;
  readonly #hub = new PushHub<T>();
  readonly #idleStopMs: number;
  #consumer: Consumer | undefined;
  #lifecycle: Promise<unknown> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: KafkaPushSourceOptions<T>) {
    this.#options = options;
    this.#idleStopMs = options.idleStopMs ?? 30_000;
  }

  /** Whether the consumer is running. */
  get running(): boolean {
    return this.#consumer !== undefined;
  }

  async subscribe(onEvent: (event: T) => void, onEnd?: (error?: Error) => void): Promise<Unsubscribe> {
    if (this.#closed) throw new Error(`the push source of ${this.#options.topic} is closed`);
    this.#cancelIdleStop();
    const unsubscribe = this.#hub.subscribeNow(onEvent, onEnd);
    const leave = () => {
      unsubscribe();
      if (this.#hub.size === 0) this.#scheduleIdleStop();
    };
    try {
      await this.#serially(() => this.#start());
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }

  /** Ends every subscription and stops the consumer. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelIdleStop();
    this.#hub.end(undefined, true);
    await this.#serially(() => this.#stop());
  }

  /** Starts and stops happen one at a time, in the order asked. */
  #serially<R>(step: () => Promise<R>): Promise<R> {
    const next = this.#lifecycle.then(step);
    this.#lifecycle = next.catch(() => undefined);
    return next;
  }

  async #start(): Promise<void> {
    if (this.#consumer !== undefined || this.#closed) return;
    const { kafka, topic, groupIdPrefix } = this.#options;
    const startOffsets = await this.#endOffsets();
    const consumer = kafka.consumer({
      groupId: `${groupIdPrefix}-${randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      this.#options.logger?.warn(`push source of ${topic} stopped: ${event.payload.error.message}`);
      if (this.#consumer === consumer) this.#consumer = undefined;
      this.#hub.end(event.payload.error);
      void consumer.disconnect().catch(() => undefined);
    });
    const running = consumer.run({
      // Nothing to resume: a consumer that kafkajs restarts after a crash starts at the end again.
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const event = this.#decode(message);
        if (event !== undefined) this.#hub.publish(event);
      },
    });
    // run() has created the group synchronously: the seeks apply to the first fetch after the join.
    for (const { partition, offset } of startOffsets) consumer.seek({ topic, partition, offset });
    running.catch((error: Error) =>
      this.#options.logger?.warn(`push source of ${topic} failed: ${error.message}`),
    );
    this.#consumer = consumer;
  }

  async #endOffsets(): Promise<{ partition: number; offset: string }[]> {
    const admin = this.#options.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.#options.topic);
      return offsets.map(({ partition, high }) => ({ partition, offset: high }));
    } finally {
      await admin.disconnect();
    }
  }

  #decode(message: KafkaMessage): T | undefined {
    try {
      return this.#options.decode(message);
    } catch {
      return undefined;
    }
  }

  async #stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    await consumer?.disconnect();
  }

  #scheduleIdleStop(): void {
    this.#cancelIdleStop();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      void this.#serially(async () => {
        if (this.#hub.size === 0) await this.#stop();
      }).catch((error: Error) =>
        this.#options.logger?.warn(`push source of ${this.#options.topic}: ${error.message}`),
      );
    }, this.#idleStopMs);
    this.#idleTimer.unref();
  }

  #cancelIdleStop(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}
