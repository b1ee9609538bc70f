import {
  type BytesStore,
  CachingKeyValueStore,
  ChangeLoggingKeyValueStore,
  MeteredKeyValueStore,
} from '../../stores/index.js';
import type { StoreBuilder } from '../store-builder.js';
import type { OutgoingRecord } from './record-collector.js';
import { SizeCheckingStore } from './size-checking-store.js';
import { type StoreView, stackSerdes, storeView } from './store-views.js';

/** One store of a task, with the layers the engine drives: the buffer it flushes and the bottom it restores. */
export interface TaskStore {
  readonly builder: StoreBuilder;
  readonly top: MeteredKeyValueStore<unknown, unknown>;
  readonly cache: CachingKeyValueStore;
  /** The bottom layer: restore writes here, below the cache and the changelog. */
  readonly inner: BytesStore;
  /** What processors get: the top, or a window or session store over it. */
  readonly view: StoreView;
}

/** What the layers of a task's store report to, and check with, the task. */
export interface StoreStackHooks {
  readonly changelogTopic: string;
  readonly partition: number;
  /** Takes a changelog record on its way out. */
  send(record: OutgoingRecord): void;
  /** Throws for a record its topic would refuse. */
  checkSize(record: OutgoingRecord): void;
  /** Told of every write as it is made (value undefined for a delete), for a copy kept elsewhere. */
  onWrite?(key: Buffer, value: Buffer | undefined): void;
}

/**
 * Stacks a task's store from the bottom up, in one place as Kafka Streams' store builders do: the inner
 * store (LevelDB or memory) ← change-logging (records sent at flush) ← caching ← size check (a write whose
 * changelog record would be refused fails while its record is processed, not at the commit) ← observing
 * (every write, when asked) ← metered (serdes and metrics).
 */
export function buildStoreStack(builder: StoreBuilder, inner: BytesStore, hooks: StoreStackHooks): TaskStore {
  const { changelogTopic: topic, partition } = hooks;
  const logged = builder.logging
    ? new ChangeLoggingKeyValueStore(inner, (key, value) =>
        hooks.send({ topic, partition, key, value, timestamp: Date.now() }),
      )
    : inner;
  const cache = new CachingKeyValueStore(logged);
  const checked = builder.logging
    ? new SizeCheckingStore(cache, (key, value) =>
        hooks.checkSize({ topic, partition, key, value, timestamp: Date.now() }),
      )
    : cache;
  const onWrite = hooks.onWrite;
  const observed = onWrite
    ? new ChangeLoggingKeyValueStore(checked, (key, value) => onWrite(key, value ?? undefined))
    : checked;
  const top = new MeteredKeyValueStore(observed, ...stackSerdes(builder));
  return { builder, top, cache, inner, view: storeView(builder, top) };
}
