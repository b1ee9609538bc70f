import type { KeyValue } from '../../stores/index.js';
import type { TaskId } from '../record.js';
import type { StreamTask } from './task.js';

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

export function observedTask(task: StreamTask): ObservedTask {
  const stores = [...task.stores.values()].map((store) => ({
    name: store.builder.name,
    range: () => store.cache.range(),
  }));
  return { id: task.id, stores };
}
