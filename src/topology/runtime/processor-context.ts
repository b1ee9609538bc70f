import type { ReadOnlyKeyValueStore, StateStore } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import type { ProcessorContext } from '../processor.js';
import type { RecordMetadata, StreamRecord, TaskId } from '../record.js';
import type { TaskStore } from './store-stack.js';
import type { TaskTime } from './task-time.js';

/** A node of a running task: a processor or a sink, fed records by its parents. */
export interface RuntimeNode {
  readonly name: string;
  process(record: StreamRecord<unknown, unknown>): void;
}

/** What the runtime's context offers beyond the processor API, for the DSL's own processors. */
export interface RuntimeContext extends ProcessorContext {
  /** Counts a record an operation passed over (a null key, say). */
  recordSkipped(reason: string): void;
  /**
   * Forwards `record` when the task next flushes, only the latest of this node's records with the same `id`
   * (a table's key): Kafka Streams' record caches. At once when the task does not hold forwards, or `id` is
   * undefined.
   */
  forwardAtFlush(id: string | undefined, record: StreamRecord<unknown, unknown>): void;
}

export interface ContextDeps {
  readonly applicationId: string;
  readonly taskId: TaskId;
  readonly stores: ReadonlyMap<string, TaskStore>;
  readonly time: TaskTime;
  current(): RecordMetadata | undefined;
  now(): number;
  onSkip?(nodeName: string, reason: string): void;
  onDrop?(nodeName: string, reason: string): void;
  /** A global store (read by any processor, unconnected), if the topology has one of that name. */
  globalStore?(name: string): ReadOnlyKeyValueStore<unknown, unknown> | undefined;
  /** Holds a node's forward until the task flushes (the latest per id); absent: forward at once. */
  hold?(node: string, id: string, forward: () => void): void;
}

/** The context a task gives one of its processors: its children, its stores and the task's clocks. */
export function processorContext(
  deps: ContextDeps,
  name: string,
  storeNames: readonly string[],
  children: readonly RuntimeNode[],
): RuntimeContext {
  const forward = (record: StreamRecord<unknown, unknown>, childName?: string) => {
    for (const child of children)
      if (childName === undefined || child.name === childName) child.process(record);
  };
  return {
    applicationId: deps.applicationId,
    taskId: deps.taskId,
    forward,
    forwardAtFlush: (id, record) => {
      if (id === undefined || deps.hold === undefined) forward(record);
      else deps.hold(name, id, () => forward(record));
    },
    getStateStore: <S extends StateStore>(storeName: string): S => {
      const store = deps.stores.get(storeName);
      if (!store || !storeNames.includes(storeName)) {
        const global = deps.globalStore?.(storeName);
        if (global) return global as unknown as S;
        throw new StreamsError(
          'STORE_NOT_CONNECTED',
          `processor ${name} is not connected to a store named ${storeName}`,
        );
      }
      return store.view as unknown as S;
    },
    recordMetadata: () => deps.current(),
    schedule: (intervalMs, type, punctuator) => deps.time.schedule(intervalMs, type, punctuator, deps.now()),
    currentStreamTimeMs: () => deps.time.streamTime,
    currentSystemTimeMs: () => deps.now(),
    recordSkipped: (reason) => deps.onSkip?.(name, reason),
    recordDropped: (reason) => deps.onDrop?.(name, reason),
  };
}
