import { CodedError } from '../../errors/index.js';
import { type BytesStore, InMemoryKeyValueStore, type ReadOnlyKeyValueStore } from '../../stores/index.js';
import { RecordTooLargeError, StreamsError } from '../errors.js';
import type { Processor } from '../processor.js';
import type { RecordMetadata, StreamRecord, TaskId } from '../record.js';
import { taskIdString } from '../record.js';
import type { SinkNode, SourceNode, Subtopology, Topology } from '../topology.js';
import { DeferredForwards } from './deferred-forwards.js';
import { type ContextDeps, processorContext, type RuntimeNode } from './processor-context.js';
import type { RecordCollector } from './record-collector.js';
import { describe, type RawRecord, readSourceRecord } from './source-record.js';
import { buildStoreStack, type TaskStore } from './store-stack.js';
import { TaskOutput } from './task-output.js';
import { TaskTime } from './task-time.js';

export type { RawRecord } from './source-record.js';
export type { TaskStore } from './store-stack.js';

/** What a task needs from the engine that runs it. */
export interface TaskEnvironment {
  readonly applicationId: string;
  readonly collector: RecordCollector;
  /** Physical name of a topology topic: repartition topics get the application id as a prefix. */
  topicName(topic: string, internal: boolean): string;
  /** Physical name of a store's changelog topic. */
  changelogTopic(storeName: string): string;
  /** Partition count of a topic the task writes to. */
  partitions(topic: string): number;
  readonly deserializationExceptionHandler: 'dlq' | 'fail';
  readonly processingExceptionHandler: 'dlq' | 'fail';
  readonly productionExceptionHandler: 'dlq' | 'fail';
  /** The largest record (its size bound) that may be written to a topic. */
  maxRecordBytes(topic: string): number;
  /** Called for every record sent to the dead-letter queue. */
  onDeadLetter?(code: string, source: RecordMetadata): void;
  /** Whether an operator asked for this record to be passed over (sent to the DLQ unprocessed). */
  isSkipped?(record: RecordMetadata): boolean;
  /** Called for every record that could not be written to `topic` (before its handler decides). */
  onProductionError?(topic: string, reason: string): void;
  /** Called for every record an operation passed over (a null key in a join, say). */
  onSkip?(nodeName: string, reason: string): void;
  /** Called for every record an operation dropped by design (later than its window's grace, say). */
  onDrop?(nodeName: string, reason: string): void;
  /** The wall clock; Date.now by default (the test driver's is advanced by hand). */
  now?(): number;
  /** When set, told of every write to the task's stores (serialized; value undefined for a delete). */
  onStoreWrite?(task: TaskId, store: string, key: Buffer, value: Buffer | undefined): void;
  /** A global store (read by any processor, unconnected), if the topology has one of that name. */
  globalStore?(name: string): ReadOnlyKeyValueStore<unknown, unknown> | undefined;
  /**
   * True: table aggregations forward each key's latest update when the task flushes (at a commit), as Kafka
   * Streams' record caches do; false or absent: every update at once (a cache size of 0).
   */
  readonly forwardAtFlush?: boolean;
}

/**
 * One partition of one sub-topology: its own processor instances and stores. It processes records in
 * offset order, synchronously; what it produces (sink, repartition, changelog and DLQ records) waits in the
 * collector, and its stores' writes wait in their caches, until the engine commits or discards them.
 */
export class StreamTask {
  readonly id: TaskId;
  readonly subtopology: Subtopology;
  readonly stores = new Map<string, TaskStore>();
  readonly #env: TaskEnvironment;
  readonly #output: TaskOutput;
  readonly #sources = new Map<string, { node: SourceNode; run: RuntimeNode[] }>();
  readonly #processors: Processor[] = [];
  /** The next offset to commit, per source topic (physical name), once processed. */
  readonly #nextOffsets = new Map<string, bigint>();
  readonly #committed = new Map<string, bigint>();
  #current: RecordMetadata | undefined;
  #currentRaw: RawRecord | undefined;
  readonly #deferred = new DeferredForwards();
  #closed = false;
  readonly #time = new TaskTime();
  readonly #contextDeps: ContextDeps;

  /**
   * `innerStores` are the bottom layers, opened by the engine (LevelDB for persistent stores); a store not
   * given is made in memory.
   */
  constructor(
    id: TaskId,
    subtopology: Subtopology,
    topology: Topology,
    env: TaskEnvironment,
    innerStores: ReadonlyMap<string, BytesStore> = new Map(),
  ) {
    this.id = id;
    this.subtopology = subtopology;
    this.#env = env;
    this.#output = new TaskOutput(env, taskIdString(id));
    this.#contextDeps = {
      applicationId: env.applicationId,
      taskId: id,
      stores: this.stores,
      time: this.#time,
      current: () => this.#current,
      now: () => env.now?.() ?? Date.now(),
      ...(env.onSkip ? { onSkip: env.onSkip } : {}),
      ...(env.onDrop ? { onDrop: env.onDrop } : {}),
      ...(env.globalStore ? { globalStore: env.globalStore } : {}),
      ...(env.forwardAtFlush ? { hold: (node, id, forward) => this.#hold(node, id, forward) } : {}),
    };
    for (const builder of subtopology.stores) {
      const inner = innerStores.get(builder.name) ?? new InMemoryKeyValueStore(builder.name);
      this.stores.set(
        builder.name,
        buildStoreStack(builder, inner, {
          changelogTopic: env.changelogTopic(builder.name),
          partition: id.partition,
          send: (record) => this.#output.send(record),
          checkSize: (record) => this.#output.checkSize(record),
          ...(env.onStoreWrite
            ? { onWrite: (key, value) => env.onStoreWrite?.(id, builder.name, key, value) }
            : {}),
        }),
      );
    }
    const built = new Map<string, RuntimeNode>();
    const build = (name: string): RuntimeNode => {
      const existing = built.get(name);
      if (existing) return existing;
      const node = subtopology.nodes.find((n) => n.name === name);
      if (!node || node.kind === 'source')
        throw new Error(`node ${name} is not in sub-topology ${subtopology.id}`);
      const runtime =
        node.kind === 'sink' ? this.#sinkNode(node) : this.#processorNode(node.name, topology, build);
      built.set(name, runtime);
      return runtime;
    };
    for (const source of subtopology.sources) {
      const run = topology.children(source.name).map((child) => build(child.name));
      for (const topic of source.topics)
        this.#sources.set(env.topicName(topic, source.internal), { node: source, run });
    }
  }

  get idString(): string {
    return taskIdString(this.id);
  }

  #processorNode(name: string, topology: Topology, build: (name: string) => RuntimeNode): RuntimeNode {
    const node = topology.nodes.find((n) => n.name === name);
    if (node?.kind !== 'processor') throw new Error(`${name} is not a processor`);
    const processor = node.supplier();
    this.#processors.push(processor);
    // Before its children: the held forwards run upstream first.
    this.#deferred.register(name);
    const children = topology.children(name).map((child) => build(child.name));
    const context = processorContext(this.#contextDeps, name, node.stores, children);
    processor.init?.(context);
    return {
      name,
      process: (record) => {
        try {
          processor.process(record);
        } catch (error) {
          throw this.#processingFailure(`processor ${name}`, error);
        }
      },
    };
  }

  /**
   * Wraps what user code (or a serde it chose) threw as PROCESSING_FAILED, naming the node and the record.
   * Errors that are already classified pass through: a wiring mistake (STORE_NOT_CONNECTED) is not a bad
   * record and must stop the instance even when failed records go to the DLQ.
   */
  #processingFailure(what: string, error: unknown): unknown {
    if (
      error instanceof StreamsError &&
      (error.code === 'PROCESSING_FAILED' ||
        error.code === 'STORE_NOT_CONNECTED' ||
        error.code === 'RECORD_TOO_LARGE')
    ) {
      return error;
    }
    const where = this.#current ? ` on ${describe(this.#current)}` : '';
    return new StreamsError(
      'PROCESSING_FAILED',
      `${what} failed${where}: ${String((error as Error)?.message ?? error)}`,
      {
        cause: error,
      },
    );
  }

  #sinkNode(node: SinkNode): RuntimeNode {
    const topic = this.#env.topicName(node.topic, node.internal);
    return {
      name: node.name,
      process: (record) => {
        try {
          this.#output.sink(node, topic, record);
        } catch (error) {
          throw this.#processingFailure(`sink ${node.name}`, error);
        }
      },
    };
  }

  /**
   * Runs one record through the sub-topology. A record that cannot be read (or, with the 'dlq' handler, one
   * that user code fails on) goes to the dead-letter queue; anything else that fails is thrown.
   */
  process(topic: string, partition: number, raw: RawRecord): void {
    const source = this.#sources.get(topic);
    if (!source) throw new Error(`task ${this.idString} does not read topic ${topic}`);
    const metadata: RecordMetadata = { topic, partition, offset: raw.offset };
    if (this.#env.isSkipped?.(metadata)) {
      const reason = new StreamsError('RECORD_SKIPPED', 'skipped by an operator (probestream skip)');
      this.#output.deadLetter(raw, metadata, reason);
      return;
    }
    this.#current = metadata;
    this.#currentRaw = raw;
    try {
      let record: StreamRecord<unknown, unknown>;
      try {
        record = readSourceRecord(source.node, topic, raw, metadata);
      } catch (error) {
        if (this.#env.deserializationExceptionHandler === 'fail') throw error;
        this.#output.deadLetter(raw, metadata, error as StreamsError);
        return;
      }
      this.#handled(raw, metadata, () => {
        for (const node of source.run) node.process(record);
        this.#time.observe(record.timestamp);
      });
    } catch (error) {
      // What stops the task names its record, for the operator who may skip it.
      throw error instanceof CodedError ? error.at(metadata) : error;
    } finally {
      this.#current = undefined;
      this.#currentRaw = undefined;
    }
  }

  /** Runs `work` for the source record `raw`, sending it to the DLQ when its handlers say so. */
  #handled(raw: RawRecord, metadata: RecordMetadata, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (error instanceof RecordTooLargeError) {
        this.#productionError(raw, metadata, error);
        return;
      }
      if (!(error instanceof StreamsError) || error.code !== 'PROCESSING_FAILED') throw error;
      if (this.#env.processingExceptionHandler === 'fail') throw error;
      this.#output.deadLetter(raw, metadata, error);
    }
  }

  #hold(node: string, id: string, forward: () => void): void {
    const [source, raw] = [this.#current, this.#currentRaw];
    // Outside a record (a punctuator, say) there is nothing to name: forward at once.
    if (source === undefined || raw === undefined) forward();
    else this.#deferred.hold(node, id, { source, raw, forward });
  }

  /** Runs the held forwards, each as part of the record that caused it (its errors name that record). */
  #releaseHeld(): void {
    this.#deferred.drain(({ source, raw, forward }) => {
      this.#current = source;
      this.#currentRaw = raw;
      try {
        this.#handled(raw, source, forward);
      } catch (error) {
        throw error instanceof CodedError ? error.at(source) : error;
      } finally {
        this.#current = undefined;
        this.#currentRaw = undefined;
      }
    });
  }

  /**
   * A record the source record led to cannot be written (too large for its topic). 'fail' stops the task
   * naming the source record; 'dlq' sends the refused record there, cut to fit, and goes on. What the source
   * record did before the refused write stays done, as in Kafka Streams.
   */
  #productionError(raw: RawRecord, source: RecordMetadata, error: RecordTooLargeError): void {
    const record = error.refused;
    this.#env.onProductionError?.(record.topic, 'RECORD_TOO_LARGE');
    if (this.#env.productionExceptionHandler === 'fail') {
      throw new StreamsError(
        'RECORD_TOO_LARGE',
        `processing ${describe(source)}: ${error.message}; skip the record or raise the topic's max.message.bytes`,
        { cause: error },
      );
    }
    this.#output.deadLetter(raw, source, error, { ...record, headers: {} }, record.topic);
  }

  /**
   * Marks a fetched batch as processed up to `nextOffset` (control records included: they have offsets too).
   * The engine calls it once per batch rather than per record.
   */
  markProcessedUpTo(topic: string, nextOffset: bigint): void {
    const current = this.#nextOffsets.get(topic);
    if (current === undefined || nextOffset > current) this.#nextOffsets.set(topic, nextOffset);
  }

  /** Goes on from `offset` of a source topic, what is committed there: records before it are done. */
  resumeAt(topic: string, offset: bigint): void {
    this.#committed.set(topic, offset);
    this.#nextOffsets.set(topic, offset);
  }

  /** The offset of the next record to process from a source topic, when known. */
  position(topic: string): bigint | undefined {
    return this.#nextOffsets.get(topic);
  }

  /** Bytes buffered in this task's store caches. */
  get bufferedBytes(): number {
    let total = 0;
    for (const store of this.stores.values()) total += store.cache.bufferedBytes;
    return total;
  }

  /**
   * Runs the table updates held back (each key's latest), then hands every store's buffered writes down to
   * the layers below: changelog records go to the collector, data to the bottom store (a persistent one
   * keeps them pending until the engine writes its checkpoint).
   */
  flush(): void {
    this.#releaseHeld();
    for (const store of this.stores.values()) store.cache.flushCache();
    this.#time.commit();
  }

  /**
   * Work due before each commit, not a record's: wall-clock punctuators, then what window and session
   * stores retain no longer and suppressed results that came due. Called with the engine's lock held.
   */
  async maintain(now: number): Promise<void> {
    this.#time.wallClock(now);
    for (const store of this.stores.values()) await store.view.expire?.();
  }

  /** The offsets processed since the last commit: `{topic, partition, offset}` with offset = next to read. */
  offsetsToCommit(): { topic: string; partition: number; offset: string }[] {
    const offsets = [];
    for (const [topic, next] of this.#nextOffsets) {
      if (this.#committed.get(topic) !== next)
        offsets.push({ topic, partition: this.id.partition, offset: String(next) });
    }
    return offsets;
  }

  /** Records that offsets returned by offsetsToCommit are now committed (later ones may be processed since). */
  committed(offsets: readonly { topic: string; offset: string }[]): void {
    for (const { topic, offset } of offsets) this.#committed.set(topic, BigInt(offset));
  }

  /** Drops everything since the last commit: buffered store writes and progress. */
  discard(): void {
    this.#deferred.clear();
    for (const store of this.stores.values()) {
      store.cache.discard();
      store.view.forgetStreamTime?.();
    }
    this.#time.rollback();
    this.#nextOffsets.clear();
    for (const [topic, offset] of this.#committed) this.#nextOffsets.set(topic, offset);
  }

  /** Closes processors and stores. Idempotent; does not flush. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const processor of this.#processors) {
      try {
        processor.close?.();
      } catch {
        // A processor failing to close must not keep the others, or the stores, open.
      }
    }
    for (const store of this.stores.values()) await store.top.close();
  }
}
