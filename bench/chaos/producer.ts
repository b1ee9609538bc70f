import { performance } from 'node:perf_hooks';
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { boundedRequests, DEFAULT_MAX_MESSAGE_BYTES, partitionForKey } from '../../src/topology/index.js';
import { log, sleep } from '../support.js';
import type { HostileKind, MadeRecord, RecordMaker } from './records.js';

/** Records made per tick: the rate is kept over time, not per request. */
const TICK_MS = 100;
const MAX_REQUEST_RECORDS = 500;
const MAX_REQUEST_BYTES = 1 << 20;
/** How long the last records may take to be acknowledged once the producer stops. */
const DRAIN_TIMEOUT_MS = 120_000;

export type SendStatus = 'pending' | 'acknowledged' | 'failed';

/** What is kept of each record once it is sent: enough for the truth, not its value. */
export interface SentRecord {
  readonly probe?: MadeRecord['probe'];
  readonly hostile?: HostileKind;
  status: SendStatus;
}

/**
 * Writes the maker's records into `topic` at a fixed rate, keyed by MAC, each in the partition kafkajs's
 * default partitioner would choose (set here, so that requests can be bounded per partition: a few
 * 200 KB records in one partition's batch pass the topic's 1 MiB). Idempotent, with retries that ride
 * out a broker restart; a request that fails anyway has its records marked `failed` (maybe written, maybe
 * not: the topic, read back at the end, says) and the producer is made anew.
 */
export class ChaosProducer {
  readonly sent: SentRecord[] = [];
  /** Acknowledged probe requests per MAC: a lower bound of what the topology must have counted. */
  readonly acknowledged = new Map<string, number>();
  /** MAC → when (performance.now()) its first probe request was acknowledged. */
  readonly firstAcknowledgedAt = new Map<string, number>();
  failedRequests = 0;
  readonly #kafka: Kafka;
  readonly #topic: string;
  readonly #partitions: number;
  readonly #maker: RecordMaker;
  readonly #rate: number;
  #producer: Producer | undefined;
  #pending: (Message & { partition: number; seq: number })[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #started = 0;

  constructor(
    kafka: Kafka,
    options: { topic: string; partitions: number; maker: RecordMaker; rate: number },
  ) {
    this.#kafka = kafka;
    this.#topic = options.topic;
    this.#partitions = options.partitions;
    this.#maker = options.maker;
    this.#rate = options.rate;
  }

  get made(): number {
    return this.sent.length;
  }

  async start(): Promise<void> {
    this.#producer = await this.#connect();
    this.#started = Date.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Stops making records and waits (bounded) until every one made was acknowledged or failed. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while ((this.#pending.length > 0 || this.#sending) && Date.now() < deadline) {
      this.#send();
      await sleep(100);
    }
    if (this.#pending.length > 0) log(`producer: ${this.#pending.length} records never sent`);
    await this.#producer?.disconnect().catch(() => undefined);
  }

  #connect(): Promise<Producer> {
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    return producer.connect().then(() => producer);
  }

  #tick(): void {
    const now = Date.now();
    const due = Math.floor(((now - this.#started) / 1000) * this.#rate) - this.sent.length;
    for (let i = 0; i < due; i += 1) {
      const record = this.#maker.next(now);
      const key = Buffer.from(record.message.key as string);
      this.sent.push({ probe: record.probe, hostile: record.hostile, status: 'pending' });
      this.#pending.push({
        ...record.message,
        partition: partitionForKey(key, this.#partitions),
        seq: record.seq,
      });
    }
    this.#send();
  }

  /** Sends what is pending, one request at a time (the idempotent producer keeps one in flight). */
  #send(): void {
    if (this.#sending || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#sending = this.#sendAll(batch).finally(() => {
      this.#sending = undefined;
    });
  }

  async #sendAll(batch: (Message & { partition: number; seq: number })[]): Promise<void> {
    const limits = {
      maxRecords: MAX_REQUEST_RECORDS,
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxMessageBytes: () => DEFAULT_MAX_MESSAGE_BYTES,
    };
    const requests = boundedRequests([[this.#topic, batch]], limits, (m) => m.partition);
    for (const request of requests) {
      const messages = request.flatMap((r) => r.messages);
      try {
        const producer = this.#producer ?? (await this.#connect());
        this.#producer = producer;
        await producer.send({
          topic: this.#topic,
          acks: -1,
          messages: messages.map(({ seq: _seq, ...message }) => message),
        });
        for (const { seq } of messages) this.#settle(seq, 'acknowledged');
      } catch (error) {
        this.failedRequests += 1;
        log(`producer: a request of ${messages.length} records failed: ${(error as Error).message}`);
        for (const { seq } of messages) this.#settle(seq, 'failed');
        const broken = this.#producer;
        this.#producer = undefined;
        await broken?.disconnect().catch(() => undefined);
      }
    }
  }

  #settle(seq: number, status: SendStatus): void {
    const record = this.sent[seq] as SentRecord;
    record.status = status;
    if (status === 'acknowledged' && record.probe) {
      const { mac } = record.probe;
      this.acknowledged.set(mac, (this.acknowledged.get(mac) ?? 0) + 1);
      if (!this.firstAcknowledgedAt.has(mac)) this.firstAcknowledgedAt.set(mac, performance.now());
    }
  }
}
