import type { Registry } from 'prom-client';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../stores/index.js';
import type { StreamsConfig } from './config.js';
import type { LocalEntriesOptions, LocalQueryOptions, LocalQueryResult, StoreLag } from './local-queries.js';
import type { KeyQueryMetadata, StreamsMetadata } from './streams-metadata.js';
import type { StateListener, StateSource, StreamsState } from './streams-state.js';
import type {
  LocalFetchResult,
  WindowedValue,
  WindowFetchAllOptions,
  WindowFetchAllResult,
} from './windowed-reads.js';

/** An engine's metrics as callers read them: a prom-client registry, or one read across a thread. */
export interface EngineMetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  /** Names of the metrics the registry holds (the engine's, whatever their values). */
  metricNames(): readonly string[];
}

/**
 * What callers use of a running topology, whichever engine runs it: KafkaStreams in this thread, or
 * WorkerStreams, which runs one in a worker thread and answers lookups from a mirror (so its `queryLocal`
 * may answer later).
 */
export interface StreamsEngine extends StateSource {
  /** The validated, frozen config the engine runs with. */
  readonly config: StreamsConfig;
  readonly metrics: { readonly registry: Registry | EngineMetricsRegistry };
  start(): Promise<void>;
  close(): Promise<void>;
  waitForState(state: StreamsState, timeoutMs?: number): Promise<void>;
  onStateChange(listener: StateListener): () => void;
  setUncaughtExceptionHandler(handler: (error: Error) => void): void;
  queryLocal<K, V>(
    storeName: string,
    key: K,
    options?: LocalQueryOptions,
  ): LocalQueryResult<V> | Promise<LocalQueryResult<V>>;
  localEntries<K, V>(storeName: string, options?: LocalEntriesOptions<K>): AsyncIterable<KeyValue<K, V>>;
  /**
   * A key's time windows that start from `timeFrom` to `timeTo` inclusive (ReadOnlyWindowStore.fetch), from
   * the copy of its partition here, as fresh as `queryLocal` says of a key-value store's.
   */
  windowFetch<K, V>(
    storeName: string,
    key: K,
    timeFrom: number,
    timeTo: number,
    options?: LocalQueryOptions,
  ): Promise<LocalFetchResult<WindowedValue<V>>>;
  /**
   * A key's sessions that end at or after `earliestSessionEndTime` and start at or before
   * `latestSessionStartTime` (ReadOnlySessionStore.findSessions; every retained one without bounds).
   */
  sessionFetch<K, V>(
    storeName: string,
    key: K,
    earliestSessionEndTime?: number,
    latestSessionStartTime?: number,
    options?: LocalQueryOptions,
  ): Promise<LocalFetchResult<WindowedValue<V>>>;
  /**
   * Every key's time windows that start from `timeFrom` to `timeTo` in the active tasks here
   * (ReadOnlyWindowStore.fetchAll), at most `limit`. Throws INVALID_STATE_STORE as `localEntries` does.
   */
  windowFetchAll<K, V>(
    storeName: string,
    timeFrom: number,
    timeTo: number,
    options?: WindowFetchAllOptions,
  ): Promise<WindowFetchAllResult<K, V>>;
  store<K, V>(storeName: string): ReadOnlyKeyValueStore<K, V>;
  /** Whether the store is a global one: whole on every instance, so never routed nor listed elsewhere. */
  isGlobalStore(storeName: string): boolean;
  isReady(): boolean;
  localStoreLags(): readonly StoreLag[];
  queryMetadataForKey<K>(storeName: string, key: K): KeyQueryMetadata;
  metadataForAllStreamsClients(): readonly StreamsMetadata[];
}
