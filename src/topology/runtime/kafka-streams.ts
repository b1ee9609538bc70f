import {
  type Admin,
  AssignerProtocol,
  type Consumer,
  Kafka,
  logLevel as kafkaLogLevel,
  type Producer,
} from 'kafkajs';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import { PartitionReader } from '../kafka/partition-reader.js';
import type { TaskId } from '../record.js';
import { taskIdString } from '../record.js';
import type { Topology } from '../topology.js';
import { decodeMemberInfo, streamsAssignor, taskOf } from './assignor.js';
import { type StreamsConfig, type StreamsConfigInput, streamsConfig } from './config.js';
import { StreamsMetrics } from './metrics.js';
import { partitionForKey } from './murmur2.js';
import { Mutex } from './mutex.js';
import { BufferingRecordCollector } from './record-collector.js';
import { StreamTask, type TaskEnvironment } from './task.js';
import {
  ensureInternalTopics,
  fetchUserTopicPartitions,
  planTopics,
  type TopicPlan,
  userTopics,
} from './topic-plan.js';

export type StreamsState =
  | 'CREATED'
  | 'REBALANCING'
  | 'RUNNING'
  | 'PENDING_SHUTDOWN'
  | 'NOT_RUNNING'
  | 'ERROR';

/** Which instance serves a key, for routing an interactive query. */
export interface KeyQueryMetadata {
  /** host:port of the instance running the key's task; null while the group is rebalancing. */
  readonly activeHost: string | null;
  /** Instances keeping a standby copy (none until standby replicas arrive). */
  readonly standbyHosts: readonly string[];
  readonly partition: number;
}

/** One instance of the application, as the group's assignment shows it. */
export interface StreamsMetadata {
  readonly hostInfo: string | null;
  readonly activeTasks: readonly string[];
  readonly stateStoreNames: readonly string[];
  readonly topicPartitions: readonly { topic: string; partition: number }[];
}

type StateListener = (newState: StreamsState, oldState: StreamsState) => void;

const TRANSITIONS: Record<StreamsState, readonly StreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN'],
};

/**
 * Runs a topology as one member of the consumer group `application.id`. Each instance gets a share of the
 * tasks; at every commit interval it flushes its stores' buffered writes, produces their changelog records
 * and its output, waits for Kafka's acknowledgements, and only then commits the input offsets
 * (at-least-once). On a rebalance it drops whatever it has not committed, so kept and moved tasks alike go
 * on from the last commit.
 */
export class KafkaStreams {
  readonly config: StreamsConfig;
  readonly metrics: StreamsMetrics;
  readonly #topology: Topology;
  readonly #kafka: Kafka;
  readonly #lock = new Mutex();
  readonly #tasks = new Map<string, StreamTask>();
  #collector: BufferingRecordCollector | undefined;
  #plan: TopicPlan | undefined;
  #admin: Admin | undefined;
  #producer: Producer | undefined;
  #consumer: Consumer | undefined;
  #reader: PartitionReader | undefined;
  #state: StreamsState = 'CREATED';
  #listeners: StateListener[] = [];
  #errorHandler: ((error: Error) => void) | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #lastCommit = Date.now();
  #closing = false;
  #closed: Promise<void> | undefined;
  #rebalancing = true;
  #heartbeat: (() => Promise<void>) | undefined;
  #clients: StreamsMetadata[] = [];
  #error: Error | undefined;
  #deadLettered = 0;
  #inflightCommit: Promise<void> | undefined;

  constructor(topology: Topology, config: StreamsConfigInput) {
    this.config = streamsConfig(config);
    this.#topology = topology;
    topology.subtopologies();
    this.metrics = new StreamsMetrics(this.config.applicationId);
    this.#kafka = new Kafka({
      logLevel: kafkaLogLevel.ERROR,
      ...this.config.kafka,
      clientId: this.config.clientId,
      brokers: [...this.config.bootstrapServers],
    });
  }

  get state(): StreamsState {
    return this.#state;
  }

  /** The error that put the instance in state ERROR, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Called on every state change, with the new and the old state. */
  setStateListener(listener: StateListener): void {
    this.#listeners = [listener];
  }

  onStateChange(listener: StateListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Called once when the instance fails (state ERROR): a processing error, or Kafka refusing a commit. */
  setUncaughtExceptionHandler(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  #setState(next: StreamsState): void {
    const previous = this.#state;
    if (previous === next && next !== 'REBALANCING') return;
    if (!TRANSITIONS[previous].includes(next)) return;
    this.#state = next;
    for (const listener of this.#listeners) listener(next, previous);
  }

  /** Resolves once the instance has the state, or rejects if it ends in ERROR/NOT_RUNNING first. */
  waitForState(state: StreamsState, timeoutMs = 60_000): Promise<void> {
    if (this.#state === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new StreamsError('ILLEGAL_STATE', `not ${state} within ${timeoutMs} ms (state ${this.#state})`),
        );
      }, timeoutMs);
      const off = this.onStateChange((next) => {
        if (next === state) {
          clearTimeout(timer);
          off();
          resolve();
        } else if (next === 'ERROR' || next === 'NOT_RUNNING') {
          clearTimeout(timer);
          off();
          reject(
            this.#error ?? new StreamsError('ILLEGAL_STATE', `reached ${next} while waiting for ${state}`),
          );
        }
      });
    });
  }

  #topicName = (topic: string, internal: boolean) =>
    internal ? `${this.config.applicationId}-${topic}` : topic;
  #changelogTopic = (store: string) => `${this.config.applicationId}-${store}-changelog`;

  /**
   * Checks and creates topics, joins the group and starts processing. Resolves when the instance has
   * joined (state REBALANCING); it is RUNNING once its tasks are restored.
   */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED')
      throw new StreamsError('ILLEGAL_STATE', `start() needs state CREATED, not ${this.#state}`);
    this.#setState('REBALANCING');
    try {
      await this.#start();
    } catch (error) {
      await this.#fail(error as Error);
      throw error;
    }
  }

  async #start(): Promise<void> {
    const admin = this.#kafka.admin();
    this.#admin = admin;
    await admin.connect();
    const naming = {
      topicName: this.#topicName,
      changelogTopic: this.#changelogTopic,
      dlqTopic: `${this.config.applicationId}-dlq`,
    };
    const plan = planTopics(
      this.#topology,
      naming,
      await fetchUserTopicPartitions(admin, userTopics(this.#topology)),
    );
    this.#plan = plan;
    await ensureInternalTopics(admin, plan);
    this.#collector = new BufferingRecordCollector((topic) => {
      const count = plan.partitions.get(topic);
      if (count === undefined)
        throw new StreamsError('MISSING_TOPIC', `no partition count known for topic ${topic}`);
      return count;
    });

    this.#producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await this.#producer.connect();
    this.#reader = new PartitionReader(this.#kafka, { isolation: 'read_committed' });
    await this.#reader.connect();

    const consumer = this.#kafka.consumer({
      groupId: this.config.applicationId,
      partitionAssigners: [
        streamsAssignor({
          subtopologies: () => plan.subtopologies,
          memberInfo: () => ({
            server: this.config.applicationServer ?? null,
            tasks: [...this.#tasks.keys()],
          }),
        }),
      ],
      sessionTimeout: this.config.sessionTimeoutMs,
      rebalanceTimeout: Math.max(this.config.sessionTimeoutMs, 60_000),
      heartbeatInterval: Math.min(3000, Math.floor(this.config.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: Math.min(500, this.config.commitIntervalMs),
      // Larger fetches than kafkajs's defaults: a task waits for each fetch, so fewer round trips go further.
      maxBytes: 16 * 1024 * 1024,
      maxBytesPerPartition: 2 * 1024 * 1024,
      allowAutoTopicCreation: false,
      readUncommitted: false,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => {
      this.#rebalancing = true;
      if (this.#state === 'RUNNING') this.#setState('REBALANCING');
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      void this.#lock.run(() => this.#onAssignment(assignment)).catch((error) => this.#fail(error as Error));
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) void this.#fail(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: plan.subtopologies.flatMap((sub) => sub.topics),
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        this.#heartbeat = heartbeat;
        await this.#lock.run(async () => {
          if (this.#closing || this.#rebalancing || !isRunning() || isStale()) return;
          // Resolving moves kafkajs's fetch position only; offsets are committed by #commit.
          if (await this.#processBatch(batch)) resolveOffset(batch.lastOffset());
        });
      },
    });
    this.#commitTimer = setInterval(
      () => {
        if (
          this.#closing ||
          this.#rebalancing ||
          Date.now() - this.#lastCommit < this.config.commitIntervalMs
        )
          return;
        void this.#lock.run(() => this.#commit()).catch((error) => this.#fail(error as Error));
      },
      Math.max(10, Math.floor(this.config.commitIntervalMs / 4)),
    );
  }

  /** Runs a fetched batch through its task; false when it was not processed (not ours, or a failure). */
  async #processBatch(batch: import('kafkajs').Batch): Promise<boolean> {
    const plan = this.#plan as TopicPlan;
    const id = taskOf(batch.topic, batch.partition, plan.subtopologies);
    const task = id ? this.#tasks.get(taskIdString(id)) : undefined;
    if (!task) return false;
    const started = process.hrtime.bigint();
    const deadLetteredBefore = this.#deadLettered;
    let processed = 0;
    try {
      for (const message of batch.messages) {
        task.process(batch.topic, batch.partition, message);
        processed += 1;
      }
    } catch (error) {
      this.metrics.recordsConsumed.inc({ topic: batch.topic }, processed + 1);
      // Not awaited: the shutdown it starts needs the lock this batch holds.
      void this.#fail(error as Error);
      return false;
    }
    task.markProcessedUpTo(batch.topic, BigInt(batch.lastOffset()) + 1n);
    const count = batch.messages.length;
    if (count > 0) {
      this.metrics.recordsConsumed.inc({ topic: batch.topic }, count);
      this.metrics.recordsProcessed.inc(
        { topic: batch.topic },
        count - (this.#deadLettered - deadLetteredBefore),
      );
      this.metrics.processLatency.observe(Number(process.hrtime.bigint() - started) / 1e9 / count);
    }
    const lag = Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n);
    this.metrics.consumerLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, lag),
    );
    if (
      Date.now() - this.#lastCommit >= this.config.commitIntervalMs ||
      this.#bufferedBytes() > this.config.cacheMaxBytes
    ) {
      await this.#commit();
    }
    return true;
  }

  #bufferedBytes(): number {
    let total = 0;
    for (const task of this.#tasks.values()) total += task.bufferedBytes;
    return total;
  }

  #environment(): TaskEnvironment {
    return {
      applicationId: this.config.applicationId,
      collector: this.#collector as BufferingRecordCollector,
      topicName: this.#topicName,
      changelogTopic: this.#changelogTopic,
      partitions: (topic) => this.#plan?.partitions.get(topic) ?? 1,
      deserializationExceptionHandler: this.config.deserializationExceptionHandler,
      processingExceptionHandler: this.config.processingExceptionHandler,
      onDeadLetter: (code, source) => {
        this.#deadLettered += 1;
        this.metrics.dlqRecords.inc({ topic: source.topic, code });
      },
      onSkip: (node, reason) => this.metrics.skippedRecords.inc({ node, reason }),
    };
  }

  /**
   * A new assignment: everything not committed is dropped (kafkajs goes back to the committed offsets for
   * every partition, kept or new), tasks that moved away are closed, and new tasks restore their stores
   * before they process anything.
   */
  async #onAssignment(assignment: Record<string, number[]>): Promise<void> {
    if (this.#closing) return;
    await this.#settleCommit();
    this.metrics.rebalances.inc();
    const plan = this.#plan as TopicPlan;
    const wanted = new Map<string, TaskId>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const id = taskOf(topic, partition, plan.subtopologies);
        if (id) wanted.set(taskIdString(id), id);
      }
    }
    this.#collector?.clear();
    for (const [key, task] of this.#tasks) {
      task.discard();
      if (!wanted.has(key)) {
        await task.close();
        this.#tasks.delete(key);
      }
    }
    for (const [key, id] of wanted) {
      if (this.#tasks.has(key)) continue;
      const sub = this.#topology.subtopologies().find((s) => s.id === id.subtopology);
      if (!sub) continue;
      const task = new StreamTask(id, sub, this.#topology, this.#environment());
      await this.#restore(task);
      this.#tasks.set(key, task);
    }
    this.metrics.activeTasks.set(this.#tasks.size);
    this.#lastCommit = Date.now();
    this.#rebalancing = false;
    this.#setState('RUNNING');
    void this.#refreshClients();
  }

  /** Rebuilds a new task's stores from their changelogs (or, for a source table, its topic). */
  async #restore(task: StreamTask): Promise<void> {
    const reader = this.#reader as PartitionReader;
    for (const store of task.stores.values()) {
      const topic =
        store.builder.sourceTopic ??
        (store.builder.logging ? this.#changelogTopic(store.builder.name) : undefined);
      if (!topic) continue;
      const end = await reader.endOffset(topic, task.id.partition);
      if (end === 0n) continue;
      const valueSerde = store.builder.valueSerde;
      let lastBeat = Date.now();
      await reader.read(topic, task.id.partition, 0n, end, async (records) => {
        for (const record of records) {
          if (record.key === null) continue;
          if (record.value === null) {
            store.inner.delete(record.key);
            continue;
          }
          if (store.builder.sourceTopic) {
            // A source topic may hold records that were sent to the DLQ when processed: keep them out.
            try {
              valueSerde.deserialize(record.value, topic);
            } catch {
              continue;
            }
          }
          store.inner.put(record.key, record.value);
        }
        this.metrics.restoredRecords.inc({ store: store.builder.name }, records.length);
        if (this.#heartbeat && Date.now() - lastBeat > 1000) {
          lastBeat = Date.now();
          await this.#heartbeat();
        }
      });
    }
  }

  /**
   * Flush stores and hand what they and the tasks produced to the producer; once Kafka has acknowledged it
   * all, commit the input offsets processed up to the flush. The waiting happens after the lock is released,
   * so tasks go on processing meanwhile; the next commit (and any rebalance or close) first waits for this
   * one. A commit Kafka refuses because the group is rebalancing is not an error: the rebalance drops what
   * was not committed.
   */
  async #commit(): Promise<void> {
    const collector = this.#collector;
    if (!collector || !this.#producer || !this.#consumer) return;
    await this.#settleCommit();
    const started = process.hrtime.bigint();
    this.#lastCommit = Date.now();
    for (const task of this.#tasks.values()) await task.flush();
    const drained = collector.drain();
    const offsets = [...this.#tasks.values()].map((task) => ({ task, offsets: task.offsetsToCommit() }));
    this.#inflightCommit = this.#completeCommit(drained, offsets, started).catch((error) => {
      void this.#fail(error as Error);
    });
  }

  /** Waits for the commit under way, if any. */
  async #settleCommit(): Promise<void> {
    const inflight = this.#inflightCommit;
    this.#inflightCommit = undefined;
    await inflight;
  }

  async #completeCommit(
    drained: Map<string, import('./record-collector.js').ResolvedRecord[]>,
    offsets: { task: StreamTask; offsets: { topic: string; partition: number; offset: string }[] }[],
    started: bigint,
  ): Promise<void> {
    const producer = this.#producer as Producer;
    try {
      for (const chunk of chunked(drained, SEND_CHUNK)) {
        await producer.sendBatch({ acks: -1, topicMessages: chunk });
      }
    } catch (error) {
      throw new StreamsError(
        'COMMIT_FAILED',
        `Kafka did not take the records of a commit: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const all = offsets.flatMap((entry) => entry.offsets);
    if (all.length > 0) {
      try {
        await (this.#consumer as Consumer).commitOffsets(all);
      } catch (error) {
        const type = (error as { type?: string }).type ?? '';
        if (
          /REBALANCE_IN_PROGRESS|ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID|NOT_COORDINATOR/.test(type) ||
          this.#rebalancing
        ) {
          return;
        }
        throw new StreamsError(
          'COMMIT_FAILED',
          `Kafka refused the offsets of a commit: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      for (const entry of offsets) entry.task.committed(entry.offsets);
    }
    this.metrics.commits.inc();
    this.metrics.commitLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  async #fail(error: Error): Promise<void> {
    if (this.#error || this.#closing) return;
    this.#error = error;
    this.#setState('ERROR');
    this.#errorHandler?.(error);
    await this.#shutdown(false);
  }

  /**
   * Stops gracefully: commits what was processed (while still a group member), leaves the group, closes
   * tasks and clients. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#shutdown(this.#state === 'RUNNING' || this.#state === 'REBALANCING');
    })();
    return this.#closed;
  }

  #shutdownDone: Promise<void> | undefined;

  #shutdown(commit: boolean): Promise<void> {
    this.#shutdownDone ??= (async () => {
      const wasError = this.#state === 'ERROR';
      this.#closing = true;
      this.#setState('PENDING_SHUTDOWN');
      if (this.#commitTimer) clearInterval(this.#commitTimer);
      await this.#lock.run(async () => {
        if (commit && !wasError && !this.#rebalancing) {
          try {
            await this.#commit();
          } catch {
            // Closing anyway: what was not committed is processed again by whoever takes the tasks.
          }
        }
        await this.#settleCommit();
      });
      await this.#consumer?.disconnect().catch(() => undefined);
      for (const task of this.#tasks.values()) await task.close();
      this.#tasks.clear();
      await this.#producer?.disconnect().catch(() => undefined);
      await this.#reader?.disconnect().catch(() => undefined);
      await this.#admin?.disconnect().catch(() => undefined);
      this.#setState('NOT_RUNNING');
    })();
    return this.#shutdownDone;
  }

  /** The local instance's view of a store: keys of the tasks running here, read through their caches. */
  store<K, V>(storeName: string): ReadOnlyKeyValueStore<K, V> {
    const sub = this.#topology
      .subtopologies()
      .find((s) => s.stores.some((store) => store.name === storeName));
    const builder = sub?.stores.find((store) => store.name === storeName);
    if (!sub || !builder)
      throw new StreamsError('INVALID_STATE_STORE', `the topology has no store named ${storeName}`);
    const local = () => [...this.#tasks.values()].filter((task) => task.id.subtopology === sub.id);
    const partitions = () => this.#plan?.subtopologies.find((s) => s.id === sub.id)?.partitions ?? 1;
    return {
      get: (key: K) => {
        const partition = partitionForKey(builder.keySerde.serialize(key), partitions());
        const task = local().find((t) => t.id.partition === partition);
        return task?.stores.get(storeName)?.top.get(key) as V | undefined;
      },
      range: (from?: K, to?: K) =>
        concat(local().map((t) => t.stores.get(storeName)?.top.range(from, to))) as AsyncIterable<
          KeyValue<K, V>
        >,
      all: () =>
        concat(local().map((t) => t.stores.get(storeName)?.top.all())) as AsyncIterable<KeyValue<K, V>>,
      approximateNumEntries: () =>
        local().reduce((n, t) => n + (t.stores.get(storeName)?.top.approximateNumEntries() ?? 0), 0),
    };
  }

  /** Where the key of a store lives: its partition, and the instance whose task owns that partition. */
  queryMetadataForKey<K>(storeName: string, key: K): KeyQueryMetadata {
    const sub = this.#topology
      .subtopologies()
      .find((s) => s.stores.some((store) => store.name === storeName));
    const builder = sub?.stores.find((store) => store.name === storeName);
    const planned = this.#plan?.subtopologies.find((s) => s.id === sub?.id);
    if (!sub || !builder || !planned) {
      throw new StreamsError(
        'INVALID_STATE_STORE',
        `no store named ${storeName} (or the instance has not started)`,
      );
    }
    const partition = partitionForKey(
      (builder.keySerde as { serialize(k: K): Buffer }).serialize(key),
      planned.partitions,
    );
    const task = taskIdString({ subtopology: sub.id, partition });
    const owner = this.#rebalancing
      ? undefined
      : this.#clients.find((client) => client.activeTasks.includes(task));
    return { activeHost: owner?.hostInfo ?? null, standbyHosts: [], partition };
  }

  /** Every instance of the application, as the last completed rebalance assigned them. */
  metadataForAllStreamsClients(): readonly StreamsMetadata[] {
    return this.#clients;
  }

  /** Reads every member's server and assignment from the group description (kafkajs keeps only its own). */
  async #refreshClients(): Promise<void> {
    const admin = this.#admin;
    const plan = this.#plan;
    if (!admin || !plan) return;
    try {
      const { groups } = await admin.describeGroups([this.config.applicationId]);
      const members = groups[0]?.members ?? [];
      this.#clients = members.map((member) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
        const info = decodeMemberInfo(metadata?.userData);
        const assignment =
          AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {};
        const topicPartitions = Object.entries(assignment).flatMap(([topic, partitions]) =>
          partitions.map((partition) => ({ topic, partition })),
        );
        const tasks = new Set<string>();
        for (const { topic, partition } of topicPartitions) {
          const id = taskOf(topic, partition, plan.subtopologies);
          if (id) tasks.add(taskIdString(id));
        }
        const subs = new Set([...tasks].map((t) => Number(t.split('_')[0])));
        const stateStoreNames = this.#topology
          .subtopologies()
          .filter((s) => subs.has(s.id))
          .flatMap((s) => s.stores.map((store) => store.name));
        return { hostInfo: info.server, activeTasks: [...tasks].sort(), stateStoreNames, topicPartitions };
      });
    } catch {
      // The group may be rebalancing again; the next assignment refreshes the map.
    }
  }
}

/**
 * Records per sendBatch call. kafkajs 2.2.4 groups a request's messages by partition by copying the growing
 * array for every message (quadratic: 100,000 messages take seconds), so a large commit goes in chunks.
 */
const SEND_CHUNK = 5000;

function* chunked(
  byTopic: Map<string, import('./record-collector.js').ResolvedRecord[]>,
  size: number,
): Generator<{ topic: string; messages: import('./record-collector.js').ResolvedRecord[] }[]> {
  let chunk: { topic: string; messages: import('./record-collector.js').ResolvedRecord[] }[] = [];
  let count = 0;
  for (const [topic, records] of byTopic) {
    for (let start = 0; start < records.length; start += size - count) {
      const messages = records.slice(start, start + size - count);
      chunk.push({ topic, messages });
      count += messages.length;
      if (count >= size) {
        yield chunk;
        chunk = [];
        count = 0;
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function* concat<T>(iterables: readonly (AsyncIterable<T> | undefined)[]): AsyncGenerator<T> {
  for (const iterable of iterables) if (iterable) yield* iterable;
}
