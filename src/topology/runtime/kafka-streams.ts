import { type Admin, type Consumer, Kafka, type Producer } from 'kafkajs';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../stores/index.js';
import { describeError, StreamsError } from '../errors.js';
import { kafkaDebugLogging } from '../kafka/debug-log.js';
import { PartitionReader } from '../kafka/partition-reader.js';
import type { TaskId } from '../record.js';
import { parseTaskId, taskIdString } from '../record.js';
import type { Topology } from '../topology.js';
import { streamsAssignor, taskOf } from './assignor.js';
import {
  commitAtLeastOnce,
  commitTransaction,
  commitTransactions,
  type PreparedTask,
  prepareTask,
} from './commit.js';
import { type StreamsConfig, type StreamsConfigInput, streamsConfig } from './config.js';
import { nextTurn } from './event-loop-turns.js';
import {
  type LocalEntriesOptions,
  LocalQueries,
  type LocalQueryOptions,
  type LocalQueryResult,
  type StoreLag,
} from './local-queries.js';
import { StreamsMetrics } from './metrics.js';
import { Mutex } from './mutex.js';
import { ProduceLimits } from './produce-limits.js';
import { BufferingRecordCollector } from './record-collector.js';
import { RepartitionPurger } from './repartition-purger.js';
import { type RestoreProgress, restoreTask } from './restorer.js';
import { readSkipList, recordName, skipsTopic } from './skip-list.js';
import { StandbyTask } from './standby-task.js';
import { StateDirectory } from './state-directory.js';
import {
  describeClients,
  type KeyQueryMetadata,
  keyQueryMetadata,
  localStoreView,
  type StreamsMetadata,
} from './streams-metadata.js';
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

export type StateListener = (newState: StreamsState, oldState: StreamsState) => void;

/** A task running here, with what it produces into and, under exactly-once, its own producer. */
interface ActiveTask {
  readonly task: StreamTask;
  readonly collector: BufferingRecordCollector;
  /** exactly_once: a transactional producer with transactional.id `<application.id>-<task>`. */
  readonly producer?: Producer;
}

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
  readonly #tasks = new Map<string, ActiveTask>();
  readonly #standbys = new Map<string, StandbyTask>();
  readonly #stateDirectory: StateDirectory;
  #cleanupTimer: NodeJS.Timeout | undefined;
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
  /** Set by any failure, a failed commit first of all: no commit may follow (see #commit). */
  #commitsStopped = false;
  /** The commit timer has a commit waiting for the lock: it queues no other meanwhile. */
  #commitQueued = false;
  readonly #purger = new RepartitionPurger(
    () => this.#admin,
    (topic) => topic.startsWith(`${this.config.applicationId}-`) && topic.endsWith('-repartition'),
  );
  readonly #fenced = new Set<ActiveTask>();
  #limits: ProduceLimits;
  #skips = new Set<string>();
  /** Per `topic:partition`, the offset its task goes on from after the last assignment, until a batch starts there. */
  readonly #resumeFrom = new Map<string, { offset: bigint; refused?: string }>();
  readonly #local: LocalQueries;
  #observer: ActiveTaskObserver | undefined;

  constructor(topology: Topology, config: StreamsConfigInput) {
    this.config = streamsConfig(config);
    this.#topology = topology;
    topology.subtopologies();
    this.#local = new LocalQueries(topology, {
      state: () => this.#state,
      rebalancing: () => this.#rebalancing,
      partitions: (sub) => this.#plan?.subtopologies.find((s) => s.id === sub)?.partitions,
      activeTasks: () => [...this.#tasks.values()].map((active) => active.task),
      standbyTasks: () => this.#standbys.values(),
    });
    this.metrics = new StreamsMetrics(this.config.applicationId);
    this.#limits = new ProduceLimits(this.config.maxRequestBytes);
    this.#stateDirectory = new StateDirectory(this.config.stateDir, this.config.applicationId);
    this.#kafka = new Kafka({
      ...kafkaDebugLogging(),
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
    return waitForState(this, state, timeoutMs);
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
      skipsTopic: skipsTopic(this.config.applicationId),
    };
    const plan = planTopics(
      this.#topology,
      naming,
      await fetchUserTopicPartitions(admin, userTopics(this.#topology)),
    );
    this.#plan = plan;
    await ensureInternalTopics(admin, plan);
    await this.#limits.load(admin, [...plan.partitions.keys()], log);
    if (this.config.processingGuarantee === 'at_least_once') {
      this.#producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await this.#producer.connect();
    }
    this.#reader = new PartitionReader(this.#kafka, { isolation: 'read_committed' });
    await this.#reader.connect();
    await this.#readSkips();

    const consumer = this.#kafka.consumer({
      groupId: this.config.applicationId,
      partitionAssigners: [
        streamsAssignor({
          subtopologies: () => plan.subtopologies,
          memberInfo: () => ({
            server: this.config.applicationServer ?? null,
            tasks: [...this.#tasks.keys()],
            standbys: [...this.#standbys.keys()],
          }),
          standbyReplicas: this.config.numStandbyReplicas,
        }),
      ],
      sessionTimeout: this.config.sessionTimeoutMs,
      rebalanceTimeout: Math.max(this.config.sessionTimeoutMs, 60_000),
      heartbeatInterval: Math.min(3000, Math.floor(this.config.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: Math.min(500, this.config.commitIntervalMs),
      // exactly_once: a transaction's records are read only once it commits.
      // kafkajs decodes a whole fetch response in one synchronous run, holding up the API's queries: a
      // commit's repartition records, fetched at once under a 16 MB limit, took up to 25 ms to decode, under
      // 2 MB at most ~3.5 ms. Smaller fetches cost throughput (a task waits for each fetch): 512 KB, a third.
      maxBytes: 2 * 1024 * 1024,
      maxBytesPerPartition: 1024 * 1024,
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
      const memberId = event.payload.memberId;
      void this.#lock
        .run(() => this.#onAssignment(assignment, memberId))
        .catch((error) => this.#fail(error as Error));
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
          // Checked again after: processing yields to the event loop, and the group may have moved on.
          if ((await this.#processBatch(batch)) && !isStale() && !this.#rebalancing) {
            resolveOffset(batch.lastOffset());
          }
        });
      },
    });
    this.#commitTimer = setInterval(
      () => {
        if (
          this.#closing ||
          this.#rebalancing ||
          this.#commitQueued ||
          Date.now() - this.#lastCommit < this.config.commitIntervalMs
        )
          return;
        // One at a time: while a commit waits for Kafka (a broker restarting), the lock is held for as long.
        this.#commitQueued = true;
        void this.#lock
          .run(() => {
            this.#commitQueued = false;
            return this.#commit();
          })
          .catch((error) => this.#fail(error as Error));
      },
      Math.max(10, Math.floor(this.config.commitIntervalMs / 4)),
    );
    this.#cleanupTimer = setInterval(
      () => void this.#cleanUpState(),
      Math.max(1000, Math.min(60_000, this.config.stateCleanupDelayMs)),
    );
    this.#cleanupTimer.unref();
  }

  /** Deletes the local state of tasks owned elsewhere for longer than stateCleanupDelayMs. */
  async #cleanUpState(): Promise<void> {
    const removed = await this.#stateDirectory.cleanUp(
      new Set(this.#tasks.keys()),
      this.config.stateCleanupDelayMs,
    );
    for (const task of removed) log(`removed the local state of task ${task}, owned elsewhere`);
  }

  /** Runs a fetched batch through its task; false when it was not processed (not ours, or a failure). */
  async #processBatch(batch: import('kafkajs').Batch): Promise<boolean> {
    const plan = this.#plan as TopicPlan;
    const id = taskOf(batch.topic, batch.partition, plan.subtopologies);
    const task = id ? this.#tasks.get(taskIdString(id))?.task : undefined;
    if (!task) return false;
    const started = process.hrtime.bigint();
    const deadLetteredBefore = this.#deadLettered;
    let processed = 0;
    // The first batch after an assignment must start where the task goes on from (see #positionTasks): one
    // fetched from beyond it was fetched before the group moved, after records whose processing the
    // assignment dropped, and processing it would lose them. kafkajs fetches them again. (Later gaps are
    // transaction markers, which kafkajs passes over itself.)
    // A stale batch is never fetched again, while a position kafkajs resets to (the committed offset was
    // deleted by retention) comes back until taken: the second batch fetched from the same place is taken.
    const slot = `${batch.topic}:${batch.partition}`;
    const resume = this.#resumeFrom.get(slot);
    if (resume !== undefined) {
      // kafkajs's Batch keeps the offset it was fetched at; its typings do not declare it.
      const fetchedAt = (batch as unknown as { fetchedOffset?: string }).fetchedOffset;
      if (fetchedAt !== undefined && BigInt(fetchedAt) > resume.offset && resume.refused !== fetchedAt) {
        resume.refused = fetchedAt;
        return false;
      }
      this.#resumeFrom.delete(slot);
    }
    // Records before the task's position were processed already (kafkajs read an older committed offset).
    const from = task.position(batch.topic);
    const first = batch.messages[0]?.offset;
    const skipBelow = from !== undefined && first !== undefined && BigInt(first) < from ? from : undefined;
    try {
      let sliceStart = performance.now();
      for (const message of batch.messages) {
        if (skipBelow !== undefined && BigInt(message.offset) < skipBelow) {
          processed += 1;
          continue;
        }
        task.process(batch.topic, batch.partition, message);
        processed += 1;
        // Give the event loop a turn every couple of ms: the API's queries run in this process, and a fetched
        // batch of thousands of records would otherwise hold them up for tens of milliseconds. The clock is
        // read every 16 records: a record can take 50 µs, and 64 of them overran the slice by as much again.
        if ((processed & 15) === 0 && performance.now() - sliceStart > PROCESS_SLICE_MS) {
          await nextTurn();
          // A rebalance began meanwhile: drop the rest of the batch, unmarked. What it processed is dropped
          // with everything else uncommitted when the assignment comes, and the records are fetched again.
          if (this.#rebalancing || this.#closing) return false;
          sliceStart = performance.now();
        }
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
    for (const { task } of this.#tasks.values()) total += task.bufferedBytes;
    return total;
  }

  #environment(collector: BufferingRecordCollector): TaskEnvironment {
    return {
      applicationId: this.config.applicationId,
      collector,
      topicName: this.#topicName,
      changelogTopic: this.#changelogTopic,
      partitions: (topic) => this.#plan?.partitions.get(topic) ?? 1,
      deserializationExceptionHandler: this.config.deserializationExceptionHandler,
      processingExceptionHandler: this.config.processingExceptionHandler,
      productionExceptionHandler: this.config.productionExceptionHandler,
      maxRecordBytes: (topic) => this.#limits.maxRecordBytes(topic),
      onProductionError: (topic, reason) => this.metrics.productionErrors.inc({ topic, reason }),
      isSkipped: (record) => this.#skips.size > 0 && this.#skips.has(recordName(record)),
      onDeadLetter: (code, source) => {
        this.#deadLettered += 1;
        this.metrics.dlqRecords.inc({ topic: source.topic, code });
      },
      onSkip: (node, reason) => this.metrics.skippedRecords.inc({ node, reason }),
      ...(this.#observer ? { onStoreWrite: this.#observer.write.bind(this.#observer) } : {}),
    };
  }

  /**
   * Follows the active tasks' stores: when a task is ready to process, every write to its stores, and when
   * copies made so far are void (a rebalance drops uncommitted writes) or a task closes. For keeping a
   * copy of the state elsewhere, as the worker-thread engine does for its queries. Set before start.
   */
  observeActiveTasks(observer: ActiveTaskObserver): void {
    if (this.#state !== 'CREATED')
      throw new StreamsError('ILLEGAL_STATE', `observeActiveTasks() needs state CREATED, not ${this.#state}`);
    this.#observer = observer;
  }

  /**
   * A new assignment: everything not committed is dropped (kafkajs goes back to the committed offsets for
   * every partition, kept or new), tasks that moved away are closed (their files stay, for a possible
   * return), and new tasks restore their stores before they process anything.
   */
  async #onAssignment(assignment: Record<string, number[]>, memberId: string): Promise<void> {
    if (this.#closing) return;
    await this.#settleCommit();
    await this.#closeFenced();
    this.#observer?.reset();
    this.metrics.rebalances.inc();
    // A task that stopped another instance may come here: skip what the operator has said since we started.
    await this.#readSkips();
    const plan = this.#plan as TopicPlan;
    const wanted = new Map<string, TaskId>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const id = taskOf(topic, partition, plan.subtopologies);
        if (id) wanted.set(taskIdString(id), id);
      }
    }
    for (const [key, active] of this.#tasks) {
      active.collector.clear();
      active.task.discard();
      if (!wanted.has(key)) await this.#closeTask(key);
    }
    this.#stateDirectory.owned(wanted.keys());
    // A standby that became active hands its store files over: it must close them first.
    for (const key of wanted.keys()) await this.#stopStandby(key);
    this.#consumer?.resume(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
    for (const [key, id] of wanted) {
      if (!this.#tasks.has(key)) this.#tasks.set(key, await this.#createTask(id));
    }
    await this.#positionTasks();
    this.metrics.activeTasks.set(this.#tasks.size);
    for (const { task } of this.#tasks.values()) this.#observer?.ready(observedTask(task));
    this.#lastCommit = Date.now();
    this.#rebalancing = false;
    this.#setState('RUNNING');
    await this.#refreshClients();
    await this.#reconcileStandbys(memberId);
  }

  /**
   * Where each task goes on from: its partitions' committed offsets, read now, after the commit under way
   * settled and, under exactly-once, after each new task's producer fenced the previous owner (as Kafka
   * Streams reads them after initialising transactions). kafkajs read its own when the group formed, before
   * either: a commit that finished meanwhile leaves it behind, and the records it fetches again below the
   * committed offset are passed over (#processBatch) rather than counted twice.
   */
  async #positionTasks(): Promise<void> {
    const plan = this.#plan as TopicPlan;
    const topics = new Set<string>();
    for (const { task } of this.#tasks.values()) {
      for (const topic of plan.subtopologies.find((s) => s.id === task.id.subtopology)?.topics ?? [])
        topics.add(topic);
    }
    this.#resumeFrom.clear();
    if (topics.size === 0) return;
    const committed = await (this.#admin as Admin).fetchOffsets({
      groupId: this.config.applicationId,
      topics: [...topics],
    });
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const id = taskOf(topic, partition, plan.subtopologies);
        const task = id && this.#tasks.get(taskIdString(id))?.task;
        if (task && BigInt(offset) >= 0n) {
          task.resumeAt(topic, BigInt(offset));
          this.#resumeFrom.set(`${topic}:${partition}`, { offset: BigInt(offset) });
        }
      }
    }
  }

  /** Starts the standbys this member was given (kafkajs keeps only the partitions: read the group's copy). */
  async #reconcileStandbys(memberId: string): Promise<void> {
    if (this.config.numStandbyReplicas === 0) return;
    const wanted = new Set(this.#clients.find((client) => client.memberId === memberId)?.standbyTasks ?? []);
    for (const key of [...this.#standbys.keys()]) if (!wanted.has(key)) await this.#stopStandby(key);
    this.#stateDirectory.owned(wanted);
    for (const key of wanted) {
      if (this.#standbys.has(key) || this.#tasks.has(key)) continue;
      const id = parseTaskId(key);
      const sub = this.#topology.subtopologies().find((s) => s.id === id.subtopology);
      if (!sub) continue;
      const stores = StandbyTask.storesOf(
        sub,
        (store) => this.#stateDirectory.storeDir(key, store),
        this.#changelogTopic,
      );
      if (stores.length === 0) continue;
      await this.#stateDirectory.ensureTaskDir(key);
      const standby = new StandbyTask(id, stores, this.#reader as PartitionReader, (store, count) =>
        this.metrics.standbyRecords.inc({ store }, count),
      );
      standby.start();
      this.#standbys.set(key, standby);
    }
  }

  async #stopStandby(key: string): Promise<void> {
    const standby = this.#standbys.get(key);
    this.#standbys.delete(key);
    await standby?.stop();
  }

  async #closeTask(key: string): Promise<void> {
    const active = this.#tasks.get(key);
    this.#tasks.delete(key);
    if (!active) return;
    this.#observer?.closed(active.task.id);
    await active.task.close();
    await active.producer?.disconnect().catch(() => undefined);
  }

  /**
   * Opens a task's stores (LevelDB under the state directory for persistent ones; a store that cannot be
   * opened is deleted and rebuilt), and under exactly-once its transactional producer, whose first
   * initialisation fences any older producer of the same task and aborts its open transaction. Then
   * restores every store before the task processes a record.
   */
  async #createTask(id: TaskId): Promise<ActiveTask> {
    const key = taskIdString(id);
    const sub = this.#topology.subtopologies().find((s) => s.id === id.subtopology);
    if (!sub) throw new Error(`no sub-topology ${id.subtopology}: a bug`);
    const plan = this.#plan as TopicPlan;
    const collector = new BufferingRecordCollector((topic) => {
      const count = plan.partitions.get(topic);
      if (count === undefined)
        throw new StreamsError('MISSING_TOPIC', `no partition count known for topic ${topic}`);
      return count;
    });
    let producer: Producer | undefined;
    if (this.config.processingGuarantee === 'exactly_once') {
      producer = this.#kafka.producer({
        transactionalId: `${this.config.applicationId}-${key}`,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: Math.max(60_000, this.config.commitIntervalMs * 10),
      });
      await producer.connect();
      await (await producer.transaction()).abort();
    }
    const inner = await this.#stateDirectory.openStores(key, sub.stores, log);
    const task = new StreamTask(id, sub, this.#topology, this.#environment(collector), inner);
    try {
      await this.#local.whileRestoring(task, (onProgress) => this.#restore(task, onProgress));
    } catch (error) {
      await task.close();
      await producer?.disconnect().catch(() => undefined);
      throw error;
    }
    return { task, collector, ...(producer ? { producer } : {}) };
  }

  /** Reads the records an operator told the application to skip (`probestream skip`). */
  async #readSkips(): Promise<void> {
    const before = this.#skips;
    this.#skips = await readSkipList(this.#reader as PartitionReader, skipsTopic(this.config.applicationId));
    const added = [...this.#skips].filter((name) => !before.has(name));
    if (added.length > 0) log(`an operator asked to skip ${added.join(', ')}: to the DLQ, unprocessed`);
  }

  /** Brings a new task's stores up to their changelogs (or, for a source table, its topic). */
  #restore(task: StreamTask, onProgress: (progress: RestoreProgress) => void): Promise<void> {
    return restoreTask(task, {
      reader: this.#reader as PartitionReader,
      metrics: this.metrics,
      changelogTopic: this.#changelogTopic,
      heartbeat: () => this.#heartbeat?.(),
      log,
      onProgress,
    });
  }

  /**
   * Takes every task's state for a commit (caches flushed, output drained, offsets and pending store writes
   * captured) and completes the commit after the lock is released, so tasks go on processing meanwhile; the
   * next commit, a rebalance and close each wait for it first.
   *
   * at_least_once: produce everything and wait for the acknowledgements, write each persistent store's data
   * with its changelog offset, then commit the input offsets.
   * exactly_once: per task, one transaction holds its changelog records, its output and its input offsets
   * (sendOffsets); the store's data and offset are written after the transaction commits.
   */
  async #commit(): Promise<void> {
    await this.#settleCommit();
    // A failed commit (or one whose preparation threw) drained its tasks' output and store writes, and left
    // their offsets uncommitted: a later commit would commit those offsets without that output, losing it.
    // The instance is stopping; whoever takes the tasks goes on from the last commit that succeeded.
    if (this.#commitsStopped) return;
    await this.#closeFenced();
    if (this.#tasks.size === 0) return;
    const started = process.hrtime.bigint();
    this.#lastCommit = Date.now();
    // Task by task, with the event loop getting a turn in between: flushing every cache at once would hold
    // up the API's queries for the whole flush. The lock keeps records from being processed meanwhile.
    const prepared: (PreparedTask & { active: ActiveTask })[] = [];
    for (const active of [...this.#tasks.values()]) {
      prepared.push({ active, ...prepareTask(active.task, active.collector) });
      await nextTurn();
    }
    // The tasks whose offsets Kafka took: only their repartition records may be purged. A fenced task's, or
    // offsets refused in a rebalance, are read again by whoever owns the partition next.
    const work: Promise<PreparedTask[]> =
      this.config.processingGuarantee === 'exactly_once'
        ? commitTransactions(prepared, (p) => this.#commitTransaction(p, p.active))
        : commitAtLeastOnce(prepared, {
            producer: this.#producer as Producer,
            consumer: this.#consumer as Consumer,
            changelogTopic: this.#changelogTopic,
            rebalancing: () => this.#rebalancing,
            limits: this.#limits,
          }).then((done) => (done ? prepared : []));
    this.#inflightCommit = work.then(
      (committed) => {
        this.#purger.committed(committed.flatMap((p) => p.offsets));
        this.metrics.commits.inc();
        this.metrics.commitLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      },
      (error) => void this.#fail(error as Error),
    );
  }

  /** Closes tasks whose producer was fenced, dropping what they had not committed. */
  async #closeFenced(): Promise<void> {
    for (const active of this.#fenced) {
      const key = active.task.idString;
      if (this.#tasks.get(key) !== active) continue;
      await this.#closeTask(key);
      // Its partitions stay assigned here until the group rebalances: stop fetching them meanwhile.
      const topics = this.#plan?.subtopologies.find((s) => s.id === active.task.id.subtopology)?.topics ?? [];
      this.#consumer?.pause(topics.map((topic) => ({ topic, partitions: [active.task.id.partition] })));
    }
    this.#fenced.clear();
  }

  /**
   * One task's exactly-once commit. A producer fenced by a newer one (the task now runs elsewhere: this
   * instance is a zombie) closes the task; the group's next rebalance settles who owns what.
   */
  async #commitTransaction(prepared: PreparedTask, active: ActiveTask): Promise<boolean> {
    const outcome = await commitTransaction(prepared, active.producer as Producer, {
      groupId: this.config.applicationId,
      changelogTopic: this.#changelogTopic,
      limits: this.#limits,
    });
    if (outcome === 'committed') return true;
    log(`task ${prepared.task.idString} was fenced: another instance owns it now; closing it here`);
    this.metrics.fencedCommits.inc();
    // Closed by the next section that holds the lock: this commit may be awaited by one that does.
    this.#fenced.add(active);
    return false;
  }

  /** Waits for the commit under way, if any. */
  async #settleCommit(): Promise<void> {
    const inflight = this.#inflightCommit;
    this.#inflightCommit = undefined;
    await inflight;
  }

  async #fail(error: Error): Promise<void> {
    // Even while closing: a commit queued behind the one that failed must not run (see #commit).
    this.#commitsStopped = true;
    if (this.#error || this.#closing) return;
    this.#error = error;
    log(`stopping after an error: ${describeError(error)}`);
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
      if (this.#cleanupTimer) clearInterval(this.#cleanupTimer);
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
      for (const key of [...this.#tasks.keys()]) await this.#closeTask(key);
      for (const key of [...this.#standbys.keys()]) await this.#stopStandby(key);
      await this.#producer?.disconnect().catch(() => undefined);
      await this.#reader?.disconnect().catch(() => undefined);
      await this.#purger.settle();
      await this.#admin?.disconnect().catch(() => undefined);
      this.#setState('NOT_RUNNING');
    })();
    return this.#shutdownDone;
  }

  /** The local instance's view of a store: keys of the tasks running here, read through their caches. */
  store<K, V>(storeName: string): ReadOnlyKeyValueStore<K, V> {
    return localStoreView<K, V>(
      this.#topology,
      storeName,
      () => [...this.#tasks.values()].map((active) => active.task),
      (sub) => this.#plan?.subtopologies.find((s) => s.id === sub)?.partitions ?? 1,
    );
  }

  /**
   * A key's value from the copy of its partition kept here, with how fresh it is: the active task when it
   * is restored and running; with `includeStale`, a standby or a restoring task, with its lag; otherwise
   * why not (see LocalQueryResult). Synchronous, like `store().get`. Throws INVALID_STATE_STORE for an
   * unknown store, or before start.
   */
  queryLocal<K, V>(storeName: string, key: K, options?: LocalQueryOptions): LocalQueryResult<V> {
    return this.#local.queryLocal<K, V>(storeName, key, options);
  }

  /** The entries of a store in the active tasks here, merged in serialized-key order from `from` inclusive. */
  localEntries<K, V>(storeName: string, options?: LocalEntriesOptions<K>): AsyncIterable<KeyValue<K, V>> {
    return this.#local.localEntries<K, V>(storeName, options);
  }

  /** RUNNING, with no active task restoring (a readiness probe). */
  isReady(): boolean {
    return this.#local.isReady();
  }

  /** Every copy of a store partition kept here, active or standby, with its changelog lag. */
  localStoreLags(): readonly StoreLag[] {
    return this.#local.localStoreLags();
  }

  /** Where the key of a store lives: its partition, the instance whose task owns it, and standby hosts. */
  queryMetadataForKey<K>(storeName: string, key: K): KeyQueryMetadata {
    const plan = this.#plan;
    if (!plan) throw new StreamsError('INVALID_STATE_STORE', `the instance has not started`);
    return keyQueryMetadata(
      this.#topology,
      (sub) => plan.subtopologies.find((s) => s.id === sub)?.partitions,
      this.#rebalancing ? [] : this.#clients,
      storeName,
      key,
    );
  }

  /** Each sub-topology's partition count (its task count), as [id, count]; empty before start. */
  subtopologyPartitions(): [number, number][] {
    return (this.#plan?.subtopologies ?? []).map((sub) => [sub.id, sub.partitions]);
  }

  /** Every instance of the application, as the last completed rebalance assigned them. */
  metadataForAllStreamsClients(): readonly StreamsMetadata[] {
    return this.#clients;
  }

  async #refreshClients(): Promise<void> {
    if (!this.#admin || !this.#plan) return;
    try {
      this.#clients = await describeClients(
        this.#admin,
        this.config.applicationId,
        this.#plan,
        this.#topology,
      );
    } catch {
      // The group may be rebalancing again; the next assignment refreshes the map.
    }
  }
}

/** What waitForState watches: a KafkaStreams, or a WorkerStreams. */
export interface StateSource {
  readonly state: StreamsState;
  readonly error: Error | undefined;
  onStateChange(listener: StateListener): () => void;
}

/** Resolves once `source` has the state, or rejects if it ends in ERROR/NOT_RUNNING first, or on timeout. */
export function waitForState(source: StateSource, state: StreamsState, timeoutMs: number): Promise<void> {
  if (source.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new StreamsError('ILLEGAL_STATE', `not ${state} within ${timeoutMs} ms (state ${source.state})`),
      );
    }, timeoutMs);
    const off = source.onStateChange((next) => {
      if (next === state) {
        clearTimeout(timer);
        off();
        resolve();
      } else if (next === 'ERROR' || next === 'NOT_RUNNING') {
        clearTimeout(timer);
        off();
        reject(
          source.error ?? new StreamsError('ILLEGAL_STATE', `reached ${next} while waiting for ${state}`),
        );
      }
    });
  });
}

/** A task as an ActiveTaskObserver sees it: its stores' entries, read through their caches. */
export interface ObservedTask {
  readonly id: TaskId;
  readonly stores: readonly {
    readonly name: string;
    range(): AsyncIterable<KeyValue<Buffer, Buffer>>;
  }[];
}

/** What `observeActiveTasks` reports. Calls arrive in the order things happen in the engine. */
export interface ActiveTaskObserver {
  /** A new assignment takes effect: uncommitted writes are dropped, so every copy made so far is void. */
  reset(): void;
  /** A task is active here, restored, and about to process; what it holds now is in its stores' ranges. */
  ready(task: ObservedTask): void;
  /** A task stopped being active here. */
  closed(task: TaskId): void;
  /** A write to a store of an active task (a restore's writes are not reported: `ready` comes after). */
  write(task: TaskId, store: string, key: Buffer, value: Buffer | undefined): void;
}

function observedTask(task: StreamTask): ObservedTask {
  const stores = [...task.stores.values()].map((store) => ({
    name: store.builder.name,
    range: () => store.cache.range(),
  }));
  return { id: task.id, stores };
}

/** How long a batch is processed before other work (queries, timers) gets a turn. */
const PROCESS_SLICE_MS = 2;

/** The engine's own log lines: stderr, one line each, never a secret (no config is printed). */
function log(message: string): void {
  if (process.env.PROBESTREAM_LOG !== 'silent') process.stderr.write(`[probestream] ${message}\n`);
}
