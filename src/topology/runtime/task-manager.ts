import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import type { PartitionReader } from '../kafka/partition-reader.js';
import type { StreamsProducer } from '../kafka/streams-producer.js';
import { parseTaskId, type TaskId, taskIdString } from '../record.js';
import type { Topology } from '../topology.js';
import { type ActiveTask, ActiveTaskCreator } from './active-task-creator.js';
import { type ActiveTaskObserver, observedTask } from './active-task-observer.js';
import { taskOf } from './assignor.js';
import {
  commitAtLeastOnce,
  commitTransaction,
  commitTransactions,
  type PreparedTask,
  prepareTask,
} from './commit.js';
import type { StreamsConfig } from './config.js';
import { nextTurn } from './event-loop-turns.js';
import type { GlobalStateManager } from './global-state.js';
import type { LocalQueries } from './local-queries.js';
import type { StreamsMetrics } from './metrics.js';
import type { ProduceLimits } from './produce-limits.js';
import { readSkipList, skipsTopic } from './skip-list.js';
import { StandbyTask } from './standby-task.js';
import type { StateDirectory } from './state-directory.js';
import type { StreamTask } from './task.js';
import type { TopicPlan } from './topic-plan.js';

/** What the task manager works with, all of it ready (the instance has planned its topics and connected). */
export interface TaskManagerDeps {
  readonly config: StreamsConfig;
  readonly topology: Topology;
  readonly plan: TopicPlan;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly reader: PartitionReader;
  readonly metrics: StreamsMetrics;
  readonly limits: ProduceLimits;
  readonly stateDirectory: StateDirectory;
  readonly local: LocalQueries;
  readonly observer: ActiveTaskObserver | undefined;
  /** The instance's global stores, which every task may read. */
  readonly globalState: GlobalStateManager;
  topicName(topic: string, internal: boolean): string;
  changelogTopic(store: string): string;
  /** The group member's heartbeat, for long restores; undefined before the first batch. */
  heartbeat(): Promise<void> | undefined;
}

/** A commit under way: resolves to the prepared tasks whose offsets Kafka took. */
export interface CommitWork {
  readonly work: Promise<PreparedTask[]>;
}

/**
 * The tasks of one instance (Kafka Streams' TaskManager): has ActiveTaskCreator create and restore active
 * tasks, closes them as assignments come, keeps standbys, positions tasks at their committed offsets,
 * closes tasks whose producer was fenced, and commits them all.
 */
export class TaskManager {
  readonly #deps: TaskManagerDeps;
  readonly #tasks = new Map<string, ActiveTask>();
  readonly #standbys = new Map<string, StandbyTask>();
  readonly #fenced = new Set<ActiveTask>();
  /** Per `topic:partition`, the offset its task goes on from after the last assignment, until a batch starts there. */
  readonly #resumeFrom = new Map<
    string,
    { topic: string; partition: number; offset: bigint; refused?: string }
  >();
  #skips = new Set<string>();
  #deadLettered = 0;
  readonly #creator: ActiveTaskCreator;

  constructor(deps: TaskManagerDeps) {
    this.#deps = deps;
    this.#creator = new ActiveTaskCreator(deps, {
      isSkipped: (name) => this.#skips.size > 0 && this.#skips.has(name),
      onDeadLetter: () => {
        this.#deadLettered += 1;
      },
    });
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Records dead-lettered so far (every task). */
  get deadLettered(): number {
    return this.#deadLettered;
  }

  activeTasks(): StreamTask[] {
    return [...this.#tasks.values()].map((active) => active.task);
  }

  activeTaskIds(): string[] {
    return [...this.#tasks.keys()];
  }

  standbyTasks(): Iterable<StandbyTask> {
    return this.#standbys.values();
  }

  standbyTaskIds(): string[] {
    return [...this.#standbys.keys()];
  }

  /** The active task that reads the partition, if it runs here. */
  taskFor(topic: string, partition: number): StreamTask | undefined {
    const id = taskOf(topic, partition, this.#deps.plan.subtopologies);
    return id ? this.#tasks.get(taskIdString(id))?.task : undefined;
  }

  bufferedBytes(): number {
    let total = 0;
    for (const { task } of this.#tasks.values()) total += task.bufferedBytes;
    return total;
  }

  /**
   * Whether a fetched batch may be processed. The first batch after an assignment must start where the
   * task goes on from (see positionTasks): one fetched from beyond it was fetched before the group moved,
   * after records whose processing the assignment dropped, and processing it would lose them. kafkajs
   * fetches them again. (Later gaps are transaction markers, which kafkajs passes over itself.) A stale
   * batch is never fetched again, while a position kafkajs resets to (the committed offset was deleted by
   * retention) comes back until taken: the second batch fetched from the same place is taken.
   */
  admits(batch: Batch): boolean {
    const slot = `${batch.topic}:${batch.partition}`;
    const resume = this.#resumeFrom.get(slot);
    if (resume === undefined) return true;
    // kafkajs's Batch keeps the offset it was fetched at; its typings do not declare it.
    const fetchedAt = (batch as unknown as { fetchedOffset?: string }).fetchedOffset;
    if (fetchedAt !== undefined && BigInt(fetchedAt) > resume.offset && resume.refused !== fetchedAt) {
      resume.refused = fetchedAt;
      return false;
    }
    this.#resumeFrom.delete(slot);
    return true;
  }

  /** Reads the records an operator told the application to skip (`probestream skip`). */
  async readSkips(): Promise<void> {
    const before = this.#skips;
    this.#skips = await readSkipList(this.#deps.reader, skipsTopic(this.#deps.config.applicationId));
    const added = [...this.#skips].filter((name) => !before.has(name));
    if (added.length > 0)
      this.#deps.config.logger.info(`an operator asked to skip ${added.join(', ')}: to the DLQ, unprocessed`);
  }

  /**
   * A new assignment: everything not committed is dropped (kafkajs goes back to the committed offsets for
   * every partition, kept or new), tasks that moved away are closed (their files stay, for a possible
   * return), and new tasks restore their stores before they process anything.
   */
  async handleAssignment(assignment: Record<string, number[]>): Promise<void> {
    const { plan, stateDirectory, observer, metrics } = this.#deps;
    observer?.reset();
    // A task that stopped another instance may come here: skip what the operator has said since we started.
    await this.readSkips();
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
    stateDirectory.owned(wanted.keys());
    // A standby that became active hands its store files over: it must close them first.
    for (const key of wanted.keys()) await this.#stopStandby(key);
    for (const [key, id] of wanted) {
      if (!this.#tasks.has(key)) this.#tasks.set(key, await this.#creator.create(id));
    }
    await this.#positionTasks();
    metrics.activeTasks.set(this.#tasks.size);
    for (const { task } of this.#tasks.values()) observer?.ready(observedTask(task));
  }

  /**
   * Where each task goes on from: its partitions' committed offsets, read now, after the commit under way
   * settled and, under exactly-once, after each new task's producer fenced the previous owner (as Kafka
   * Streams reads them after initialising transactions). kafkajs read its own when the group formed, before
   * either: a commit that finished meanwhile leaves it behind, and the records it fetches again below the
   * committed offset are passed over (StreamThread) rather than counted twice.
   */
  async #positionTasks(): Promise<void> {
    const { admin, config } = this.#deps;
    const topics = new Set<string>();
    for (const { task } of this.#tasks.values()) for (const topic of this.#topicsOf(task)) topics.add(topic);
    this.#resumeFrom.clear();
    if (topics.size === 0) return;
    const committed = await admin.fetchOffsets({ groupId: config.applicationId, topics: [...topics] });
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        if (BigInt(offset) >= 0n) this.#resumeAt(topic, partition, BigInt(offset));
      }
    }
  }

  /** The source topics of a task's sub-topology. */
  #topicsOf(task: StreamTask): readonly string[] {
    return this.#deps.plan.subtopologies.find((s) => s.id === task.id.subtopology)?.topics ?? [];
  }

  #resumeAt(topic: string, partition: number, offset: bigint): void {
    const task = this.taskFor(topic, partition);
    if (!task) return;
    task.resumeAt(topic, offset);
    this.#resumeFrom.set(`${topic}:${partition}`, { topic, partition, offset });
  }

  /**
   * Where each active task's partitions go on from, for a thread that reopened its tasks without rejoining
   * the group: their committed offsets as positionTasks read them, and for a partition never committed its
   * earliest record (auto.offset.reset=earliest), as kafkajs would start it after a rejoin.
   */
  async resumePositions(): Promise<{ topic: string; partition: number; offset: string }[]> {
    const uncommitted = new Map<string, number[]>();
    for (const { task } of this.#tasks.values()) {
      for (const topic of this.#topicsOf(task)) {
        if (this.#resumeFrom.has(`${topic}:${task.id.partition}`)) continue;
        uncommitted.set(topic, [...(uncommitted.get(topic) ?? []), task.id.partition]);
      }
    }
    for (const [topic, partitions] of uncommitted) {
      for (const { partition, low } of await this.#deps.admin.fetchTopicOffsets(topic)) {
        if (partitions.includes(partition)) this.#resumeAt(topic, partition, BigInt(low));
      }
    }
    return [...this.#resumeFrom.values()].map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: String(offset),
    }));
  }

  /** Keeps standby copies of exactly these tasks (those active here excepted). */
  async reconcileStandbys(wanted: ReadonlySet<string>): Promise<void> {
    const { topology, stateDirectory, reader, metrics, changelogTopic } = this.#deps;
    for (const key of [...this.#standbys.keys()]) if (!wanted.has(key)) await this.#stopStandby(key);
    stateDirectory.owned(wanted);
    for (const key of wanted) {
      if (this.#standbys.has(key) || this.#tasks.has(key)) continue;
      const id = parseTaskId(key);
      const sub = topology.subtopologies().find((s) => s.id === id.subtopology);
      if (!sub) continue;
      const stores = StandbyTask.storesOf(
        sub,
        (store) => stateDirectory.storeDir(key, store),
        changelogTopic,
      );
      if (stores.length === 0) continue;
      await stateDirectory.ensureTaskDir(key);
      const standby = new StandbyTask(id, stores, reader, (store, count) =>
        metrics.standbyRecords.inc({ store }, count),
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
    this.#deps.observer?.closed(active.task.id);
    await active.task.close();
    await active.producer?.disconnect().catch(() => undefined);
  }

  /** Closes every task and standby (their files stay). */
  async closeAll(): Promise<void> {
    await this.closeActive();
    for (const key of [...this.#standbys.keys()]) await this.#stopStandby(key);
  }

  /**
   * Closes every active task, dropping what it had not committed (their files stay): after a commit that
   * failed, handleAssignment then opens them again from their last commit, with new producers.
   */
  async closeActive(): Promise<void> {
    for (const key of [...this.#tasks.keys()]) await this.#closeTask(key);
    this.#fenced.clear();
  }

  /**
   * Closes tasks whose producer was fenced, dropping what they had not committed. Returns their partitions:
   * they stay assigned here until the group rebalances, and must not be fetched meanwhile.
   */
  async closeFenced(): Promise<{ topic: string; partitions: number[] }[]> {
    const paused = [];
    for (const active of this.#fenced) {
      const key = active.task.idString;
      if (this.#tasks.get(key) !== active) continue;
      await this.#closeTask(key);
      const topics = this.#topicsOf(active.task);
      paused.push(...topics.map((topic) => ({ topic, partitions: [active.task.id.partition] })));
    }
    this.#fenced.clear();
    return paused;
  }

  /**
   * Takes every task's state for a commit (caches flushed, output drained, offsets and pending store writes
   * captured) and starts completing it; the tasks may go on processing as soon as this resolves.
   *
   * at_least_once: produce everything and wait for the acknowledgements, write each persistent store's data
   * with its changelog offset, then commit the input offsets.
   * exactly_once: per task, one transaction holds its changelog records, its output and its input offsets
   * (sendOffsets); the store's data and offset are written after the transaction commits.
   */
  async commit(atLeastOnce: {
    producer: StreamsProducer | undefined;
    consumer: Consumer;
    rebalancing: () => boolean;
  }): Promise<CommitWork> {
    const { config, limits, changelogTopic } = this.#deps;
    // Task by task, with the event loop getting a turn in between: flushing every cache at once would hold
    // up the API's queries for the whole flush. The caller's lock keeps records from being processed.
    const prepared: (PreparedTask & { active: ActiveTask })[] = [];
    for (const active of [...this.#tasks.values()]) {
      await active.task.maintain(Date.now()); // wall-clock punctuation, window expiry, suppression
      prepared.push({ active, ...prepareTask(active.task, active.collector) });
      await nextTurn();
    }
    // The tasks whose offsets Kafka took: only their repartition records may be purged. A fenced task's, or
    // offsets refused in a rebalance, are read again by whoever owns the partition next.
    const work: Promise<PreparedTask[]> =
      config.processingGuarantee === 'exactly_once'
        ? commitTransactions(prepared, (p) => this.#commitTransaction(p, p.active))
        : commitAtLeastOnce(prepared, {
            producer: atLeastOnce.producer as StreamsProducer,
            consumer: atLeastOnce.consumer,
            changelogTopic,
            rebalancing: atLeastOnce.rebalancing,
            limits,
          }).then((done) => (done ? prepared : []));
    return { work };
  }

  /**
   * One task's exactly-once commit. A producer fenced by a newer one (the task now runs elsewhere: this
   * instance is a zombie) closes the task; the group's next rebalance settles who owns what.
   */
  async #commitTransaction(prepared: PreparedTask, active: ActiveTask): Promise<boolean> {
    const outcome = await commitTransaction(prepared, active.producer as StreamsProducer, {
      groupId: this.#deps.config.applicationId,
      changelogTopic: this.#deps.changelogTopic,
      limits: this.#deps.limits,
    });
    if (outcome === 'committed') return true;
    this.#deps.config.logger.info(
      `task ${prepared.task.idString} was fenced: another instance owns it now; closing it here`,
    );
    this.#deps.metrics.fencedCommits.inc();
    // Closed by the next section that holds the lock: this commit may be awaited by one that does.
    this.#fenced.add(active);
    return false;
  }
}
