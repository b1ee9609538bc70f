/**
 * State stores: the KeyValueStore interface, in-memory and LevelDB stores, and the caching and
 * change-logging decorators that replicate them to compacted changelog topics.
 */

export { CachingKeyValueStore } from './caching-store.js';
export { ChangeLoggingKeyValueStore, type ChangelogWriter } from './change-logging-store.js';
export { StoreError, type StoreErrorCode, storeErrorCodes } from './errors.js';
export { InMemoryKeyValueStore } from './in-memory-store.js';
export type {
  BytesStore,
  KeyValue,
  KeyValueStore,
  ReadOnlyKeyValueStore,
  StateStore,
} from './key-value-store.js';
export {
  type CheckpointedStore,
  LevelDbKeyValueStore,
  type PendingWrites,
} from './leveldb-store.js';
export { mergeSortedByKey } from './merge.js';
export { MeteredKeyValueStore } from './metered-store.js';
export {
  ReadOnlySessionStore,
  SessionStore,
  type SessionStoreOptions,
} from './session-store.js';
export { type IndexedWindow, SlidingWindowStore, type WindowStart } from './sliding-window-store.js';
export { type BufferedRecord, SuppressionBuffer } from './suppression-buffer.js';
export type { TimeWindow, Windowed } from './window-layout.js';
export {
  type BytesReader,
  ReadOnlyWindowStore,
  TimeBoundView,
  WindowStore,
  type WindowStoreOptions,
} from './window-store.js';
export { ForwardingStore, WrappedStore } from './wrapped-store.js';
