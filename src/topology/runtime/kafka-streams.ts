import { type Admin, Kafka } from 'kafkajs';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../stores/index.js';
import { describeError, StreamsError } from '../errors.js';
import { kafkaLogging } from '../kafka/kafka-log.js';
import { PartitionReader } from '../kafka/partition-reader.js';
import { createStreamsProducer, type StreamsProducer } from '../kafka/streams-producer.js';
import type { Topology } from '../topology.js';
import type { ActiveTaskObserver } from './active-task-observer.js';
import { type StreamsConfig, type StreamsConfigInput, streamsConfig } from './config.js';
import { GlobalStateManager } from './global-state.js';
import {
  type LocalEntriesOptions,
  LocalQueries,
  type LocalQueryOptions,
  type LocalQueryResult,
  type StoreLag,
} from './local-queries.js';
import { StreamsMetrics } from './metrics.js';
import { ProduceLimits } from './produce-limits.js';
import { skipsTopic } from './skip-list.js';
import { StateDirectory } from './state-directory.js';
import { StreamThread } from './stream-thread.js';
import type { StreamsEngine } from './streams-engine.js';
import {
  describeClients,
  type KeyQueryMetadata,
  keyQueryMetadata,
  localStoreView,
  type StreamsMetadata,
} from './streams-metadata.js';
import { type StateListener, type StreamsState, StreamsStateMachine, waitForState } from './streams-state.js';
import { TaskManager } from './task-manager.js';
import {
  ensureInternalTopics,
  fetchUserTopicPartitions,
  planTopics,
  type TopicPlan,
  userTopics,
} from './topic-plan.js';
import {
  type LocalSessionStore,
  type LocalWindowStore,
  localSessionStore,
  localWindowStore,
} from './windowed-queries.js';
import { sessionFetch, type WindowFetchAllOptions, windowFetch, windowFetchAll } from './windowed-reads.js';

/**
 * Runs a topology as one member of the consumer group `application.id` (Kafka Streams' KafkaStreams: its
 * lifecycle and its queries). Each instance gets a share of the tasks, which its TaskManager creates,
 * restores and commits, and its StreamThread feeds: at every commit interval it flushes its stores'
 * buffered writes, produces their changelog records and its output, waits for Kafka's acknowledgements,
 * and only then commits the input offsets (at-least-once), or does all of it in one transaction per task
 * (exactly-once). On a rebalance it drops whatever it has not committed, so kept and moved tasks alike go
 * on from the last commit.
 */
export class KafkaStreams implements StreamsEngine {
  readonly config: StreamsConfig;
  readonly metrics: StreamsMetrics;
  readonly #topology: Topology;
  readonly #kafka: Kafka;
  readonly #state = new StreamsStateMachine();
  readonly #stateDirectory: StateDirectory;
  readonly #local: LocalQueries;
  readonly #limits: ProduceLimits;
  #cleanupTimer: NodeJS.Timeout | undefined;
  #plan: TopicPlan | undefined;
  #admin: Admin | undefined;
  #producer: StreamsProducer | undefined;
  #reader: PartitionReader | undefined;
  #globalState: GlobalStateManager | undefined;
  #tasks: TaskManager | undefined;
  #thread: StreamThread | undefined;
  #errorHandler: ((error: Error) => void) | undefined;
  #closed: Promise<void> | undefined;
  #shutdownDone: Promise<void> | undefined;
  #clients: StreamsMetadata[] = [];
  #error: Error | undefined;
  #observer: ActiveTaskObserver | undefined;

  constructor(topology: Topology, config: StreamsConfigInput | StreamsConfig) {
    this.config = streamsConfig(config);
    this.#topology = topology;
    topology.subtopologies();
    this.#local = new LocalQueries(topology, {
      state: () => this.#state.state,
      rebalancing: () => this.#rebalancing,
      partitions: (sub) => this.#plan?.subtopologies.find((s) => s.id === sub)?.partitions,
      activeTasks: () => this.#tasks?.activeTasks() ?? [],
      standbyTasks: () => this.#tasks?.standbyTasks() ?? [],
      globalStore: (name) => this.#globalState?.store(name),
    });
    this.metrics = new StreamsMetrics(this.config.applicationId);
    this.#limits = new ProduceLimits(this.config.maxRequestBytes);
    this.#stateDirectory = new StateDirectory(this.config.stateDir, this.config.applicationId);
    this.#kafka = new Kafka({
      ...kafkaLogging(this.config.logger),
      ...this.config.kafka,
      clientId: this.config.clientId,
      brokers: [...this.config.bootstrapServers],
    });
  }

  get state(): StreamsState {
    return this.#state.state;
  }

  /** The error that put the instance in state ERROR, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Called on every state change, with the new and the old state. */
  setStateListener(listener: StateListener): void {
    this.#state.setListener(listener);
  }

  onStateChange(listener: StateListener): () => void {
    return this.#state.onChange(listener);
  }

  /** Called once when the instance fails (state ERROR): a processing error, or Kafka refusing a commit. */
  setUncaughtExceptionHandler(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  /** Resolves once the instance has the state, or rejects if it ends in ERROR/NOT_RUNNING first. */
  waitForState(state: StreamsState, timeoutMs = 60_000): Promise<void> {
    return waitForState(this, state, timeoutMs);
  }

  /** Before the first assignment, and from a rebalance's start until its assignment takes effect. */
  get #rebalancing(): boolean {
    return this.#thread?.rebalancing ?? true;
  }

  #topicName = (topic: string, internal: boolean) =>
    internal ? `${this.config.applicationId}-${topic}` : topic;
  #changelogTopic = (store: string) => `${this.config.applicationId}-${store}-changelog`;

  /**
   * Follows the active tasks' stores: when a task is ready to process, every write to its stores, and when
   * copies made so far are void (a rebalance drops uncommitted writes) or a task closes. For keeping a
   * copy of the state elsewhere, as the worker-thread engine does for its queries. Set before start.
   */
  observeActiveTasks(observer: ActiveTaskObserver): void {
    if (this.state !== 'CREATED')
      throw new StreamsError('ILLEGAL_STATE', `observeActiveTasks() needs state CREATED, not ${this.state}`);
    this.#observer = observer;
  }

  /**
   * Checks and creates topics, joins the group and starts processing. Resolves when the instance has
   * joined (state REBALANCING); it is RUNNING once its tasks are restored.
   */
  async start(): Promise<void> {
    if (this.state !== 'CREATED')
      throw new StreamsError('ILLEGAL_STATE', `start() needs state CREATED, not ${this.state}`);
    this.#state.set('REBALANCING');
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
    // The group as it stands before this member joins (after a restart, its own former member included):
    // until the first assignment, lookups here are sent to the copies that group names.
    await this.#refreshClients();
    await this.#limits.load(admin, [...plan.partitions.keys()], this.config.logger);
    if (this.config.processingGuarantee === 'at_least_once') {
      this.#producer = createStreamsProducer(this.#kafka, this.config.producerClient);
      await this.#producer.connect();
    }
    const reader = new PartitionReader(this.#kafka, { isolation: 'read_committed' });
    this.#reader = reader;
    await reader.connect();
    // Global tables: whole before any task reads them, then followed with a reader of their own.
    const globalState = new GlobalStateManager(
      this.#topology.globalStores(),
      (topic) => plan.partitions.get(topic) ?? 1,
      this.#kafka,
      this.config.logger.child('global'),
    );
    this.#globalState = globalState;
    await globalState.open();
    const tasks = new TaskManager({
      config: this.config,
      topology: this.#topology,
      plan,
      kafka: this.#kafka,
      admin,
      reader,
      metrics: this.metrics,
      limits: this.#limits,
      stateDirectory: this.#stateDirectory,
      local: this.#local,
      observer: this.#observer,
      globalState,
      topicName: this.#topicName,
      changelogTopic: this.#changelogTopic,
      heartbeat: () => this.#thread?.heartbeat(),
    });
    this.#tasks = tasks;
    await tasks.readSkips();
    this.#thread = new StreamThread({
      config: this.config,
      kafka: this.#kafka,
      plan,
      tasks,
      metrics: this.metrics,
      admin,
      producer: this.#producer,
      hooks: {
        onRebalancing: () => {
          if (this.state === 'RUNNING') this.#state.set('REBALANCING');
        },
        onAssigned: (memberId) => this.#onAssigned(memberId),
        fail: (error) => void this.#fail(error),
      },
    });
    await this.#thread.start();
    this.#cleanupTimer = setInterval(
      () => void this.#cleanUpState(),
      Math.max(1000, Math.min(60_000, this.config.stateCleanupDelayMs)),
    );
    this.#cleanupTimer.unref();
  }

  /** An assignment took effect: RUNNING, the group's view refreshed, and this member's standbys started. */
  async #onAssigned(memberId: string): Promise<void> {
    this.#state.set('RUNNING');
    await this.#refreshClients();
    if (this.config.numStandbyReplicas === 0) return;
    // kafkajs keeps only the partitions it was assigned: the standbys come from the group's copy.
    const client = this.#clients.find((c) => c.memberId === memberId);
    await this.#tasks?.reconcileStandbys(new Set(client?.standbyTasks ?? []));
  }

  /** Deletes the local state of tasks owned elsewhere for longer than stateCleanupDelayMs. */
  async #cleanUpState(): Promise<void> {
    // A standby's folder is in use too, however long ago the assignment that made it came.
    const kept = [...(this.#tasks?.activeTaskIds() ?? []), ...(this.#tasks?.standbyTaskIds() ?? [])];
    const removed = await this.#stateDirectory.cleanUp(new Set(kept), this.config.stateCleanupDelayMs);
    for (const task of removed)
      this.config.logger.info(`removed the local state of task ${task}, owned elsewhere`);
  }

  async #fail(error: Error): Promise<void> {
    // Even while closing: a commit queued behind the one that failed must not run (see StreamThread).
    this.#thread?.stopCommits();
    if (this.#error || this.#shutdownDone) return;
    this.#error = error;
    this.config.logger.error(`stopping after an error: ${describeError(error)}`);
    this.#state.set('ERROR');
    this.#errorHandler?.(error);
    await this.#shutdown(false);
  }

  /**
   * Stops gracefully: commits what was processed (while still a group member), leaves the group, closes
   * tasks and clients. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown(this.state === 'RUNNING' || this.state === 'REBALANCING');
    return this.#closed;
  }

  #shutdown(commit: boolean): Promise<void> {
    this.#shutdownDone ??= (async () => {
      const wasError = this.state === 'ERROR';
      this.#state.set('PENDING_SHUTDOWN');
      if (this.#cleanupTimer) clearInterval(this.#cleanupTimer);
      await this.#thread?.shutdown(commit && !wasError);
      await this.#tasks?.closeAll();
      await this.#globalState?.stop();
      await this.#producer?.disconnect().catch(() => undefined);
      await this.#reader?.disconnect().catch(() => undefined);
      await this.#thread?.settlePurges();
      await this.#admin?.disconnect().catch(() => undefined);
      this.#state.set('NOT_RUNNING');
    })();
    return this.#shutdownDone;
  }

  /** The local instance's view of a store: keys of the tasks running here, read through their caches. */
  store<K, V>(storeName: string): ReadOnlyKeyValueStore<K, V> {
    return localStoreView<K, V>(this.#topology, storeName, this.#activeTasks, this.#partitionsOf);
  }

  /** This instance's share of a window store (a windowed aggregation's): keys of the tasks running here. */
  windowStore<K, V>(storeName: string): LocalWindowStore<K, V> {
    return localWindowStore(this.#topology, storeName, this.#activeTasks, this.#partitionsOf);
  }

  /** This instance's share of a session store. */
  sessionStore<K, V>(storeName: string): LocalSessionStore<K, V> {
    return localSessionStore(this.#topology, storeName, this.#activeTasks, this.#partitionsOf);
  }

  // Reads of window and session stores, documented in StreamsEngine (streams-engine.ts).
  windowFetch<K, V>(store: string, key: K, timeFrom: number, timeTo: number, options?: LocalQueryOptions) {
    return windowFetch<K, V>(this.#local, store, key, timeFrom, timeTo, options);
  }

  sessionFetch<K, V>(store: string, key: K, from?: number, to?: number, options?: LocalQueryOptions) {
    return sessionFetch<K, V>(this.#local, store, key, from, to, options);
  }

  windowFetchAll<K, V>(store: string, timeFrom: number, timeTo: number, options?: WindowFetchAllOptions) {
    const engine = { topology: this.#topology, state: this.state, tasks: this.#activeTasks };
    const range = { storeName: store, timeFrom, timeTo };
    return windowFetchAll<K, V>({ ...engine, partitions: this.#partitionsOf }, range, options);
  }

  #activeTasks = () => this.#tasks?.activeTasks() ?? [];
  #partitionsOf = (sub: number) => this.#plan?.subtopologies.find((s) => s.id === sub)?.partitions ?? 1;

  /** A key's value from the copy of its partition kept here, with how fresh it is (LocalQueries.queryLocal). */
  queryLocal<K, V>(storeName: string, key: K, options?: LocalQueryOptions): LocalQueryResult<V> {
    return this.#local.queryLocal<K, V>(storeName, key, options);
  }

  /** The entries of a store in the active tasks here, merged in serialized-key order from `from` inclusive. */
  localEntries<K, V>(storeName: string, options?: LocalEntriesOptions<K>): AsyncIterable<KeyValue<K, V>> {
    return this.#local.localEntries<K, V>(storeName, options);
  }

  /** Whether the store is a global one: whole on every instance, so never routed nor listed elsewhere. */
  isGlobalStore(storeName: string): boolean {
    return this.#topology.globalStore(storeName) !== undefined;
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
      this.#clients,
      storeName,
      key,
      this.#rebalancing,
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
      const { applicationId } = this.config;
      this.#clients = await describeClients(this.#admin, applicationId, this.#plan, this.#topology);
    } catch {
      // The group may be rebalancing again; the next assignment refreshes the map.
    }
  }
}
