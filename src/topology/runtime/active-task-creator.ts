import { StreamsError } from '../errors.js';
import { createStreamsProducer, type StreamsProducer } from '../kafka/streams-producer.js';
import { type TaskId, taskIdString } from '../record.js';
import { BufferingRecordCollector } from './record-collector.js';
import { type RestoreProgress, restoreTask } from './restorer.js';
import { recordName } from './skip-list.js';
import { StreamTask, type TaskEnvironment } from './task.js';
import type { TaskManagerDeps } from './task-manager.js';

/** A task running here, with what it produces into and, under exactly-once, its own producer. */
export interface ActiveTask {
  readonly task: StreamTask;
  readonly collector: BufferingRecordCollector;
  /** exactly_once: a transactional producer with transactional.id `<application.id>-<task>`. */
  readonly producer?: StreamsProducer;
}

/** What the created tasks tell the task manager, and ask of it. */
export interface TaskCreatorHooks {
  /** Whether an operator asked for this record to be passed over (`probestream skip`). */
  isSkipped(name: string): boolean;
  /** A record went to the dead-letter queue. */
  onDeadLetter(): void;
}

/**
 * Makes active tasks (Kafka Streams' ActiveTaskCreator): opens a task's stores (LevelDB under the state
 * directory for persistent ones; a store that cannot be opened is deleted and rebuilt), and under
 * exactly-once its transactional producer, whose first initialisation fences any older producer of the same
 * task and aborts its open transaction. Then restores every store before the task processes a record.
 */
export class ActiveTaskCreator {
  readonly #deps: TaskManagerDeps;
  readonly #hooks: TaskCreatorHooks;

  constructor(deps: TaskManagerDeps, hooks: TaskCreatorHooks) {
    this.#deps = deps;
    this.#hooks = hooks;
  }

  async create(id: TaskId): Promise<ActiveTask> {
    const { topology, plan, config, kafka, stateDirectory, local } = this.#deps;
    const key = taskIdString(id);
    const sub = topology.subtopologies().find((s) => s.id === id.subtopology);
    if (!sub) throw new Error(`no sub-topology ${id.subtopology}: a bug`);
    const collector = new BufferingRecordCollector((topic) => {
      const count = plan.partitions.get(topic);
      if (count === undefined)
        throw new StreamsError('MISSING_TOPIC', `no partition count known for topic ${topic}`);
      return count;
    });
    let producer: StreamsProducer | undefined;
    if (config.processingGuarantee === 'exactly_once') {
      producer = createStreamsProducer(kafka, config.producerClient, {
        transactionalId: `${config.applicationId}-${key}`,
        transactionTimeoutMs: Math.max(60_000, config.commitIntervalMs * 10),
      });
      await producer.connect();
      await (await producer.transaction()).abort();
    }
    const inner = await stateDirectory.openStores(key, sub.stores, config.logger);
    const task = new StreamTask(id, sub, topology, this.#environment(collector), inner);
    try {
      await local.whileRestoring(task, (onProgress) => this.#restore(task, onProgress));
      // Queries of the restoring copy read through the caches, which remember what they read: a key not
      // restored yet would be remembered absent, and its first record would start its state again.
      task.discard();
    } catch (error) {
      await task.close();
      await producer?.disconnect().catch(() => undefined);
      throw error;
    }
    return { task, collector, ...(producer ? { producer } : {}) };
  }

  #environment(collector: BufferingRecordCollector): TaskEnvironment {
    const { config, metrics, limits, plan, observer } = this.#deps;
    return {
      applicationId: config.applicationId,
      collector,
      topicName: this.#deps.topicName,
      changelogTopic: this.#deps.changelogTopic,
      partitions: (topic) => plan.partitions.get(topic) ?? 1,
      deserializationExceptionHandler: config.deserializationExceptionHandler,
      processingExceptionHandler: config.processingExceptionHandler,
      productionExceptionHandler: config.productionExceptionHandler,
      maxRecordBytes: (topic) => limits.maxRecordBytes(topic),
      onProductionError: (topic, reason) => metrics.productionErrors.inc({ topic, reason }),
      isSkipped: (record) => this.#hooks.isSkipped(recordName(record)),
      onDeadLetter: (code, source) => {
        this.#hooks.onDeadLetter();
        metrics.dlqRecords.inc({ topic: source.topic, code });
      },
      onSkip: (node, reason) => metrics.skippedRecords.inc({ node, reason }),
      onDrop: (node, reason) => metrics.droppedRecords.inc({ node, reason }),
      ...(observer ? { onStoreWrite: observer.write.bind(observer) } : {}),
      globalStore: (name) => this.#deps.globalState.store(name),
      // As in Kafka Streams, a cache of 0 bytes forwards every update at once.
      forwardAtFlush: config.cacheMaxBytes > 0,
    };
  }

  /** Brings a new task's stores up to their changelogs (or, for a source table, its topic). */
  #restore(task: StreamTask, onProgress: (progress: RestoreProgress) => void): Promise<void> {
    return restoreTask(task, {
      reader: this.#deps.reader,
      metrics: this.#deps.metrics,
      changelogTopic: this.#deps.changelogTopic,
      heartbeat: () => this.#deps.heartbeat(),
      logger: this.#deps.config.logger,
      onProgress,
    });
  }
}
