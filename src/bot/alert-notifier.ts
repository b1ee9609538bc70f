import { Api } from 'grammy';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/index.js';
import { decodeAlertRecord } from './alert-record.js';
import type { BotConfig } from './config.js';
import { describeError, ProbeBotError } from './errors.js';
import { alertText } from './format.js';
import { NotifierMetrics } from './notifier-metrics.js';
import { TelegramDelivery } from './telegram-delivery.js';

export interface AlertNotifierOptions {
  readonly config: BotConfig;
  /** The client the notifier's consumer is made from (brokers, SASL/SSL, logging are the caller's). */
  readonly kafka: Kafka;
  /** Default: a grammY Api of its own on config.apiRoot, 20 s per request. */
  readonly api?: Api;
  readonly logger: Logger;
  /**
   * Where a group without committed offsets starts: false (default) from the alerts produced after its
   * first start, true from the oldest the topic keeps. Once the group has committed, it resumes from there.
   */
  readonly fromBeginning?: boolean;
  /** The first wait after a failed send; it doubles up to config.maxBackoffMs. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** Called when the consumer stopped for good (kafkajs gave up restarting it). */
  readonly onError?: (error: Error) => void;
  /** Where the notifier's counters go (e.g. a registry the API serves). Default: a registry of its own. */
  readonly metricsRegistry?: Registry;
}

/**
 * Reads the `alerts` topic with a consumer group of its own and sends each alert to every alert chat.
 *
 * At-least-once: records are handled one at a time, in offset order per partition, and a record's offset
 * is committed only once Telegram accepted (or refused for good) the message for every chat. A stop
 * finishes the record in flight when that takes no more than one attempt per chat, and otherwise leaves it
 * uncommitted for the next start: the only duplicates are of the record in flight at a stop.
 */
export class AlertNotifier {
  readonly metrics: NotifierMetrics;
  readonly #options: AlertNotifierOptions;
  readonly #delivery: TelegramDelivery;
  readonly #stopping = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #consumer: Consumer | undefined;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: AlertNotifierOptions) {
    const { config } = options;
    if (config.alertChatIds.length === 0)
      throw new TypeError('the alert notifier needs at least one alert chat');
    this.#options = options;
    this.metrics = new NotifierMetrics(options.metricsRegistry);
    this.#delivery = new TelegramDelivery({
      api: options.api ?? new Api(config.token, { apiRoot: config.apiRoot, timeoutSeconds: 20 }),
      metrics: this.metrics,
      token: config.token,
      logger: options.logger,
      maxBackoffMs: config.maxBackoffMs,
      ...(options.initialBackoffMs === undefined ? {} : { initialBackoffMs: options.initialBackoffMs }),
    });
  }

  /** Resolves once the consumer has joined its group. */
  start(): Promise<void> {
    if (this.#stopped !== undefined) return Promise.reject(new Error('the alert notifier was stopped'));
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const { config, kafka, logger } = this.#options;
    // A short fetch wait keeps a stop quick: leaving the group waits for the fetch in progress.
    const consumer = kafka.consumer({
      groupId: config.alertsGroupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger.warn(
        `the alert consumer failed${restart ? ', restarting' : ''}: ${describeError(error, config.token)}`,
      );
      if (!restart) this.#options.onError?.(error);
    });
    await consumer.connect();
    try {
      await consumer.subscribe({
        topic: config.alertsTopic,
        fromBeginning: this.#options.fromBeginning ?? false,
      });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachMessage: (payload) => this.#track(this.#handle(payload)),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw new ProbeBotError(
        'KAFKA_FAILED',
        `the alert notifier could not read topic ${config.alertsTopic} with group ${config.alertsGroupId}`,
        { cause: error },
      );
    }
    logger.info(
      `sending alerts from ${config.alertsTopic} (group ${config.alertsGroupId}) ` +
        `to ${config.alertChatIds.length} chat(s)`,
    );
  }

  async #track(handling: Promise<void>): Promise<void> {
    this.#inFlight.add(handling);
    try {
      await handling;
    } finally {
      this.#inFlight.delete(handling);
    }
  }

  async #handle(payload: EachMessagePayload): Promise<void> {
    const { topic, partition, message, heartbeat } = payload;
    // Once stopping, records are left uncommitted: the next start reads them again.
    if (this.#stopping.signal.aborted) return;
    const { config, logger } = this.#options;
    const decoded = decodeAlertRecord(message.value);
    if ('unreadable' in decoded) {
      this.metrics.unreadable.inc();
      logger.warn(
        `skipped unreadable alert record ${topic}/${partition}@${message.offset}: ${decoded.unreadable}`,
      );
    } else {
      const text = alertText(decoded, config.timezone);
      const control = { signal: this.#stopping.signal, keepAlive: heartbeat };
      try {
        for (const chatId of config.alertChatIds) await this.#delivery.send(chatId, text, control);
      } catch (error) {
        if (error instanceof ProbeBotError && error.code === 'DELIVERY_ABANDONED') return;
        throw error;
      }
    }
    // A failed commit (a rebalance) throws, so that kafkajs rejoins; the new owner sends the record again.
    await this.#consumer?.commitOffsets([
      { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
    ]);
  }

  /**
   * Finishes or abandons the record in flight, then leaves the group and disconnects. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping.abort();
      await this.#started?.catch(() => {});
      await Promise.allSettled([...this.#inFlight]);
      await this.#consumer?.disconnect();
    })();
    return this.#stopped;
  }
}
