import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import { describeError } from '../errors.js';
import type { StreamsProducer } from '../kafka/streams-producer.js';
import { isTransient, pause } from '../kafka/transient.js';
import type { StreamsConfig } from './config.js';
import { nextTurn } from './event-loop-turns.js';
import { FencedTaskWatch } from './fenced-task-watch.js';
import type { StreamsMetrics } from './metrics.js';
import { Mutex } from './mutex.js';
import { RepartitionPurger } from './repartition-purger.js';
import { pausePartitions, resumeAssigned, seekTo, streamsConsumer } from './streams-consumer.js';
import type { TaskManager } from './task-manager.js';
import { TaskTimeout } from './task-timeout.js';
import type { TopicPlan } from './topic-plan.js';

/** What the thread tells the instance it belongs to. */
export interface StreamThreadHooks {
  /** The group began a rebalance. */
  onRebalancing(): void;
  /** An assignment took effect: the tasks are restored and positioned; processing resumes after this. */
  onAssigned(memberId: string): Promise<void>;
  /** Something failed that stops the instance (called at most once per failure; not awaited). */
  fail(error: Error): void;
}

export interface StreamThreadDeps {
  readonly config: StreamsConfig;
  readonly kafka: Kafka;
  readonly plan: TopicPlan;
  readonly tasks: TaskManager;
  readonly metrics: StreamsMetrics;
  readonly admin: Admin;
  /** at_least_once: the producer every task's output and changelog records go through. */
  readonly producer: StreamsProducer | undefined;
  readonly hooks: StreamThreadHooks;
}

/** How long a batch is processed before other work (queries, timers) gets a turn. */
const PROCESS_SLICE_MS = 2;

/**
 * The loop of one group member (Kafka Streams' StreamThread): fetch a batch, run it through its task in
 * time slices, and commit when `maybeCommit` says it is time. Processing, assignments and commits take
 * turns under one lock; a commit's completion runs after the lock is released, and the next commit, an
 * assignment and shutdown each wait for it first.
 */
export class StreamThread {
  readonly #deps: StreamThreadDeps;
  readonly #lock = new Mutex();
  readonly #purger: RepartitionPurger;
  #consumer: Consumer | undefined;
  #heartbeat: (() => Promise<void>) | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #lastCommit = Date.now();
  #rebalancing = true;
  #closing = false;
  #inflightCommit: Promise<void> | undefined;
  /** Set by any failure, a failed commit first of all: no commit may follow (see #commit). */
  #commitsStopped = false;
  /** The commit timer has a commit waiting for the lock: it queues no other meanwhile. */
  #commitQueued = false;
  /** The last assignment that took effect, and this member's id then. */
  #assignment: { readonly partitions: Record<string, number[]>; readonly memberId: string } | undefined;
  /**
   * A commit or an assignment failed while Kafka was unavailable: the tasks go back to their last commit
   * (see #recover). Until then nothing is processed or committed.
   */
  #recovering = false;
  /** Since when commits have failed for want of Kafka, with none succeeding since (taskTimeoutMs). */
  readonly #taskTimeout: TaskTimeout;
  /** Stops the waits of a recovery when the thread shuts down. */
  readonly #stopped = new AbortController();
  readonly #fenced: FencedTaskWatch;

  constructor(deps: StreamThreadDeps) {
    this.#deps = deps;
    this.#taskTimeout = new TaskTimeout(deps.config.taskTimeoutMs, deps.config.logger);
    // Two heartbeats: a rebalance under way reaches this member with the first one (see streamsConsumer).
    const heartbeatMs = Math.min(3000, Math.floor(deps.config.sessionTimeoutMs / 3));
    this.#fenced = new FencedTaskWatch(2 * heartbeatMs + 1000, () => this.#reopenFenced());
    const prefix = `${deps.config.applicationId}-`;
    this.#purger = new RepartitionPurger(
      () => deps.admin,
      (topic) => topic.startsWith(prefix) && topic.endsWith('-repartition'),
    );
  }

  /** Between a rebalance's start and its assignment taking effect (and before the first). */
  get rebalancing(): boolean {
    return this.#rebalancing;
  }

  /** The group member's heartbeat, once the first batch came; for long restores. */
  heartbeat(): Promise<void> | undefined {
    return this.#heartbeat?.();
  }

  /** After a failure: no commit may follow, not even one already queued. */
  stopCommits(): void {
    this.#commitsStopped = true;
  }

  /** Joins the group and starts the loop and the commit timer. */
  async start(): Promise<void> {
    const { config, plan, tasks } = this.#deps;
    const consumer = streamsConsumer(this.#deps.kafka, config, plan, tasks);
    this.#consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => {
      this.#rebalancing = true;
      this.#deps.hooks.onRebalancing();
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      const memberId = event.payload.memberId;
      void this.#lock
        .run(() => this.#onAssignment(assignment, memberId))
        .catch((error) => this.#onFailure(error as Error, 'assignment'));
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) this.#deps.hooks.fail(event.payload.error);
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
      () => this.#commitFromTimer(),
      Math.max(10, Math.floor(config.commitIntervalMs / 4)),
    );
  }

  /** Whether it is time to commit: the commit interval has passed, or the caches hold too much. */
  #commitDue(): boolean {
    const { config, tasks } = this.#deps;
    return (
      Date.now() - this.#lastCommit >= config.commitIntervalMs || tasks.bufferedBytes() > config.cacheMaxBytes
    );
  }

  /** Commits when it is due (called holding the lock). */
  async #maybeCommit(): Promise<void> {
    if (this.#commitDue()) await this.#commit();
  }

  /** Between batches (an idle partition fetches none), the timer commits what is due. */
  #commitFromTimer(): void {
    if (this.#closing || this.#rebalancing || this.#commitQueued || !this.#commitDue()) return;
    // One at a time: while a commit waits for Kafka (a broker restarting), the lock is held for as long.
    this.#commitQueued = true;
    void this.#lock
      .run(() => {
        this.#commitQueued = false;
        return this.#maybeCommit();
      })
      .catch((error) => this.#deps.hooks.fail(error as Error));
  }

  /** Runs a fetched batch through its task; false when it was not processed (not ours, or a failure). */
  async #processBatch(batch: Batch): Promise<boolean> {
    const { tasks, metrics } = this.#deps;
    const task = tasks.taskFor(batch.topic, batch.partition);
    if (!task || !tasks.admits(batch)) return false;
    const started = process.hrtime.bigint();
    const deadLetteredBefore = tasks.deadLettered;
    let processed = 0;
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
        // Give the event loop a turn every couple of ms: the API's queries may run in this process, and a
        // fetched batch of thousands of records would otherwise hold them up for tens of milliseconds. The
        // clock is read every 16 records: a record can take 50 µs, and 64 of them overran the slice by as much.
        if ((processed & 15) === 0 && performance.now() - sliceStart > PROCESS_SLICE_MS) {
          await nextTurn();
          // A rebalance began meanwhile: drop the rest of the batch, unmarked. What it processed is dropped
          // with everything else uncommitted when the assignment comes, and the records are fetched again.
          if (this.#rebalancing || this.#closing) return false;
          sliceStart = performance.now();
        }
      }
    } catch (error) {
      metrics.recordsConsumed.inc({ topic: batch.topic }, processed + 1);
      // Not awaited: the shutdown it starts needs the lock this batch holds.
      this.#deps.hooks.fail(error as Error);
      return false;
    }
    task.markProcessedUpTo(batch.topic, BigInt(batch.lastOffset()) + 1n);
    const count = batch.messages.length;
    if (count > 0) {
      metrics.recordsConsumed.inc({ topic: batch.topic }, count);
      metrics.recordsProcessed.inc({ topic: batch.topic }, count - (tasks.deadLettered - deadLetteredBefore));
      metrics.processLatency.observe(Number(process.hrtime.bigint() - started) / 1e9 / count);
    }
    const lag = Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n);
    metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
    await this.#maybeCommit();
    return true;
  }

  /** An assignment takes effect: the commit under way settles, then the task manager applies it. */
  async #onAssignment(assignment: Record<string, number[]>, memberId: string): Promise<void> {
    if (this.#closing) return;
    this.#fenced.assigned();
    await this.#settleCommit();
    await this.#closeFenced();
    // After a failed commit, the tasks kept here must not go on with their producers and caches as they were.
    if (this.#recovering) await this.#deps.tasks.closeActive();
    this.#assignment = { partitions: assignment, memberId };
    this.#deps.metrics.rebalances.inc();
    await this.#applyAssignment(assignment, this.#recovering);
    this.#rebalancing = false;
    if (this.#recovering)
      this.#deps.config.logger.info('Kafka answers again: every task went on from its last commit');
    this.#recovering = false;
    await this.#deps.hooks.onAssigned(memberId);
  }

  /**
   * A commit or an assignment failed. A broker that is down, restarting or moving leaders is waited out, as
   * a service under a supervisor is expected to: every task goes back to its last commit (uncommitted work
   * is dropped and done again, as after a rebalance) once Kafka answers. Anything else stops the instance.
   */
  #onFailure(error: Error, during: 'commit' | 'assignment'): void {
    if (
      this.#closing ||
      this.#assignment === undefined ||
      !isTransient(error) ||
      this.#taskTimeout.exceeded(error)
    ) {
      this.#deps.hooks.fail(error);
      return;
    }
    if (this.#recovering) return;
    this.#deps.metrics.kafkaUnavailable.inc({ during });
    // The failed commit drained its tasks' output and store writes: a later commit of their offsets would
    // lose them. Nothing is processed or committed until the tasks are back at their last commit.
    this.#recovering = true;
    this.#rebalancing = true;
    this.#deps.hooks.onRebalancing();
    this.#deps.config.logger.warn(
      `Kafka is unavailable (${describeError(error)}): waiting for it; the tasks go on from their last commit`,
    );
    void this.#recover();
  }

  /** Reopens the assigned tasks from their last commit, retrying with backoff while Kafka stays unavailable. */
  async #recover(): Promise<void> {
    let backoff = 250;
    let lastLog = Date.now();
    while (this.#recovering && !this.#closing) {
      try {
        await this.#lock.run(async () => {
          const assignment = this.#assignment;
          if (!this.#recovering || this.#closing || !assignment) return;
          await this.#onAssignment(assignment.partitions, assignment.memberId);
        });
      } catch (error) {
        if (!isTransient(error) || this.#taskTimeout.exceeded(error)) {
          this.#deps.hooks.fail(error as Error);
          return;
        }
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          this.#deps.config.logger.warn(`still waiting for Kafka: ${describeError(error)}`);
        }
        await pause(backoff, this.#stopped.signal);
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  }

  async #closeFenced(): Promise<void> {
    const paused = await this.#deps.tasks.closeFenced();
    if (paused.length === 0) return;
    this.#fenced.fenced();
    pausePartitions(this.#consumer, paused);
  }

  /** No rebalance followed a fencing (see FencedTaskWatch): the assigned tasks go on from their last commit. */
  #reopenFenced(): void {
    void this.#lock
      .run(async () => {
        const assignment = this.#assignment;
        if (this.#closing || this.#recovering || this.#rebalancing || !assignment) return;
        this.#deps.config.logger.warn(
          'fenced tasks are still assigned here and no rebalance came: opening them again from their last commit',
        );
        await this.#settleCommit();
        await this.#closeFenced();
        await this.#applyAssignment(assignment.partitions, true);
      })
      .catch((error) => this.#onFailure(error as Error, 'assignment'));
  }

  /**
   * Every task drops what it had not committed and goes on from its last commit; new ones are made for the
   * partitions without one. `withoutRejoin`: kafkajs would fetch on from where it was, past records the
   * dropped work had processed, so it is moved back to where the tasks go on from.
   */
  async #applyAssignment(assignment: Record<string, number[]>, withoutRejoin: boolean): Promise<void> {
    resumeAssigned(this.#consumer, assignment);
    await this.#deps.tasks.handleAssignment(assignment);
    if (withoutRejoin) seekTo(this.#consumer, await this.#deps.tasks.resumePositions());
    this.#lastCommit = Date.now();
  }

  /** Takes every task's state for a commit and completes it after the lock is released (see TaskManager.commit). */
  async #commit(): Promise<void> {
    await this.#settleCommit();
    // A failed commit (or one whose preparation threw) drained its tasks' output and store writes, and left
    // their offsets uncommitted: a later commit would commit those offsets without that output, losing it.
    // The instance is stopping; whoever takes the tasks goes on from the last commit that succeeded.
    if (this.#commitsStopped || this.#recovering) return;
    await this.#closeFenced();
    const { tasks, metrics, producer } = this.#deps;
    if (tasks.size === 0) return;
    const started = process.hrtime.bigint();
    this.#lastCommit = Date.now();
    const { work } = await tasks.commit({
      producer,
      consumer: this.#consumer as Consumer,
      rebalancing: () => this.#rebalancing,
    });
    this.#inflightCommit = work.then(
      (committed) => {
        this.#taskTimeout.reset();
        this.#purger.committed(committed.flatMap((p) => p.offsets));
        metrics.commits.inc();
        metrics.commitLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      },
      (error) => this.#onFailure(error as Error, 'commit'),
    );
  }

  /** Waits for the commit under way, if any. */
  async #settleCommit(): Promise<void> {
    const inflight = this.#inflightCommit;
    this.#inflightCommit = undefined;
    await inflight;
  }

  /**
   * Stops the loop: with `commit`, commits what was processed (still a group member), then leaves the group.
   * The tasks stay open (the task manager closes them).
   */
  async shutdown(commit: boolean): Promise<void> {
    this.#closing = true;
    this.#stopped.abort();
    if (this.#commitTimer) clearInterval(this.#commitTimer);
    this.#fenced.close();
    await this.#lock.run(async () => {
      if (commit && !this.#rebalancing) {
        try {
          await this.#commit();
        } catch {
          // Closing anyway: what was not committed is processed again by whoever takes the tasks.
        }
      }
      await this.#settleCommit();
    });
    await this.#consumer?.disconnect().catch(() => undefined);
  }

  /** Waits for the repartition purges under way (after shutdown). */
  settlePurges(): Promise<void> {
    return this.#purger.settle();
  }
}
