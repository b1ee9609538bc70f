import { logEntry } from '../../../logging/index.js';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../../stores/index.js';
import { StreamsError } from '../../errors.js';
import type { Topology } from '../../topology.js';
import type { ActiveEntries, ActiveEntriesSource } from '../active-entries.js';
import { type StreamsConfig, type StreamsConfigInput, streamsConfig } from '../config.js';
import {
  type LocalEntriesOptions,
  type LocalQueryOptions,
  type LocalQueryResult,
  locateKey,
  type StoreLag,
} from '../local-queries.js';
import type { StreamsEngine } from '../streams-engine.js';
import {
  type KeyQueryMetadata,
  keyQueryMetadata,
  type StreamsMetadata,
  storeOf,
  storeSerdes,
} from '../streams-metadata.js';
import { type StateListener, type StreamsState, waitForState } from '../streams-state.js';
import type { WindowFetchAllOptions } from '../windowed-reads.js';
import { mirrorStoreNames, StoreMirror } from './mirror.js';
import { mirrorActiveEntries } from './mirror-entries.js';
import {
  deserializeError,
  type EntriesReply,
  type QueryReply,
  type Request,
  type TopologySource,
  type WorkerData,
  type WorkerMessage,
  type WorkerStatus,
} from './protocol.js';
import { WorkerChannel, workerFailure } from './worker-channel.js';
import type { WorkerStreamsOptions } from './worker-options.js';
import {
  bytes,
  ENTRIES_CHUNK,
  entriesInChunks,
  globalKey,
  mirroredStoreView,
  type WorkerMetricsRegistry,
  workerMetricsRegistry,
} from './worker-reads.js';
import { WorkerWindowedReads } from './worker-windowed.js';

export type { WorkerStreamsOptions };

/** How long a lookup the mirror cannot answer waits for the worker before answering `restoring`, in ms. */
const QUERY_TIMEOUT_MS = 2_000;
/** How long a listing's chunk or a metrics scrape waits for the worker, in ms. */
const READ_TIMEOUT_MS = 5_000;
/** How long close() waits for the engine to commit and leave its group before it stops the thread, in ms. */
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * A KafkaStreams that runs in a worker thread of its own, so that its processing (record decoding,
 * processors, commits, garbage collection of its heap) never holds up this thread, which serves queries.
 *
 * Key lookups of active tasks are answered here, synchronously underneath, from a mirror: the worker sends
 * what each active task's stores hold when the task is ready, then every write as it happens (within the
 * event-loop turn it is made in), so a lookup sees the processing of a few milliseconds ago. Anything the
 * mirror cannot answer — a standby or restoring copy, a listing, a partition not here — is asked of the
 * worker, which answers as KafkaStreams does. The mirror costs this thread a copy of the mirrored stores.
 *
 * The topology is built twice, from one source: here (`topology`, for serdes and partitioning) and in the
 * worker (`source`, since functions do not cross threads). The config must survive structured cloning.
 */
export class WorkerStreams implements StreamsEngine, ActiveEntriesSource {
  readonly config: StreamsConfig;
  readonly metrics: { readonly registry: WorkerMetricsRegistry };
  readonly #topology: Topology;
  readonly #source: TopologySource;
  readonly #niceness: number;
  readonly #mirrored: readonly string[];
  readonly #mirror: StoreMirror;
  #channel: WorkerChannel | undefined;
  #state: StreamsState = 'CREATED';
  #status: WorkerStatus = { ready: false, partitions: [], lags: [], clients: [] };
  #partitions = new Map<number, number>();
  /** `store/partition` of every copy kept here (active, restoring, standby), as last posted. */
  #copies = new Set<string>();
  #error: Error | undefined;
  #listeners: StateListener[] = [];
  #errorHandler: ((error: Error) => void) | undefined;
  #closing = false;
  #exited = false;
  #closed: Promise<void> | undefined;
  readonly #heartbeat = new BigInt64Array(new SharedArrayBuffer(8));
  /** The mirror answers only while the worker's heartbeat is at most this old, in ms. */
  readonly #staleAfterMs: number;

  constructor(
    topology: Topology,
    source: TopologySource,
    config: StreamsConfigInput,
    options: WorkerStreamsOptions = {},
  ) {
    this.config = streamsConfig(config);
    this.#topology = topology;
    this.#source = source;
    this.#niceness = options.niceness ?? 10;
    if (!Number.isInteger(this.#niceness) || this.#niceness < 0 || this.#niceness > 19)
      throw new StreamsError(
        'INVALID_CONFIG',
        `niceness must be an integer from 0 to 19, not ${options.niceness}`,
      );
    const names = mirrorStoreNames(topology);
    for (const name of options.mirroredStores ?? []) storeOf(topology, name);
    this.#mirrored = options.mirroredStores ?? names;
    this.#mirror = new StoreMirror(names);
    // A worker stuck for longer than the session timeout may have lost its tasks to another instance
    // without knowing it: well before that, lookups stop trusting the mirror and ask the worker.
    this.#staleAfterMs = Math.min(5_000, this.config.sessionTimeoutMs / 2);
    const scrape = (format: 'text' | 'json') =>
      this.#request({ type: 'metrics', id: 0, format }, READ_TIMEOUT_MS);
    this.metrics = { registry: workerMetricsRegistry(this.config.applicationId, scrape) };
  }

  get state(): StreamsState {
    return this.#state;
  }

  /** The error that put the instance in state ERROR, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  onStateChange(listener: StateListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Resolves once the instance has the state, or rejects if it ends in ERROR/NOT_RUNNING first. */
  waitForState(state: StreamsState, timeoutMs = 60_000): Promise<void> {
    return waitForState(this, state, timeoutMs);
  }

  /** Called once when the instance fails (state ERROR), the worker thread's end included. */
  setUncaughtExceptionHandler(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  #setState(next: StreamsState, previous = this.#state): void {
    // A failure seen here first (the thread's end) and then reported by the worker is one change.
    if (next === this.#state && next !== 'REBALANCING') return;
    this.#state = next;
    // Stopped by itself (a failure): the thread may end with this process; close() still stops it.
    if (next === 'ERROR' || next === 'NOT_RUNNING') this.#channel?.unref();
    for (const listener of this.#listeners) listener(next, previous);
  }

  #fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    if (this.#state !== 'ERROR' && this.#state !== 'NOT_RUNNING') this.#setState('ERROR');
    this.#errorHandler?.(error);
  }

  /** Starts the worker thread and the engine in it; resolves as KafkaStreams.start does (state REBALANCING). */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED' || this.#channel)
      throw new StreamsError('ILLEGAL_STATE', `start() needs state CREATED, not ${this.#state}`);
    // The logger stays here (functions do not cross): the worker posts its entries, which #onMessage hands on.
    const { logger, ...posted } = this.config;
    const data: WorkerData = {
      source: this.#source,
      // Validated once here: the worker checks the copy and keeps its clientId.
      config: posted,
      logLevel: logger.level,
      description: this.#topology.describe(),
      niceness: this.#niceness,
      mirrored: this.#mirrored,
      heartbeat: this.#heartbeat.buffer as SharedArrayBuffer,
    };
    this.#channel = new WorkerChannel(data, {
      onMessage: (message) => this.#onMessage(message),
      onError: (error) => this.#fail(workerFailure(error)),
      onExit: (code) => this.#onExit(code),
    });
    await this.#request({ type: 'start', id: 0 });
  }

  #onExit(code: number): void {
    this.#exited = true;
    this.#mirror.clear();
    const ended = new StreamsError('WORKER_FAILED', `the engine's worker thread ended (exit code ${code})`);
    const error = this.#closing ? ended : (this.#error ?? ended);
    this.#channel?.rejectAll(error);
    if (!this.#closing) this.#fail(error);
  }

  #onMessage(message: Exclude<WorkerMessage, { type: 'reply' }>): void {
    switch (message.type) {
      case 'mirror':
        this.#mirror.apply(message.operations);
        break;
      case 'status':
        this.#status = message.status;
        this.#partitions = new Map(message.status.partitions);
        this.#copies = new Set(message.status.lags.map((lag) => `${lag.store}/${lag.partition}`));
        break;
      case 'state':
        this.#setState(message.next, message.previous);
        break;
      case 'failed':
        this.#fail(deserializeError(message.error));
        break;
      case 'log':
        logEntry(this.config.logger, message.entry);
        break;
    }
  }

  /** Asks the worker (see WorkerChannel.request); refused once the instance is closed or its thread ended. */
  #request<T>(request: Request, timeoutMs?: number): Promise<T> {
    const channel = this.#channel;
    if (!channel || this.#closed || this.#exited) {
      const why = !channel ? 'not started' : this.#closed ? 'closed' : 'stopped: its worker thread ended';
      return Promise.reject(new StreamsError('ILLEGAL_STATE', `the instance is ${why}`));
    }
    return channel.request<T>(request, timeoutMs);
  }

  /**
   * Stops the engine (committing what it processed, as KafkaStreams.close does) and its thread. Idempotent.
   * A worker that does not finish within 30 s is stopped anyway.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const channel = this.#channel;
      if (channel && !this.#exited) {
        await channel.closeEngine(CLOSE_TIMEOUT_MS);
        this.#closing = true;
        await channel.terminate();
      }
      this.#mirror.clear();
      if (this.#state !== 'NOT_RUNNING') this.#setState('NOT_RUNNING');
    })();
    return this.#closed;
  }

  /** Whether the worker's event loop had a free turn recently enough for its mirror to be trusted. */
  #workerAlive(): boolean {
    return Date.now() - Number(Atomics.load(this.#heartbeat, 0)) <= this.#staleAfterMs;
  }

  /**
   * A key's value from the copy of its partition kept here, as KafkaStreams.queryLocal answers; a running
   * active task's keys from the mirror, without a round trip to the worker.
   */
  async queryLocal<K, V>(
    storeName: string,
    key: K,
    options: LocalQueryOptions = {},
  ): Promise<LocalQueryResult<V>> {
    // A global store is whole in the worker: one copy, not partitioned, not mirrored.
    const global = this.isGlobalStore(storeName);
    const { builder, keyBytes, partition } = global
      ? globalKey(this.#topology, storeName, key)
      : locateKey(this.#topology, storeName, key, (id) => this.#partitions.get(id));
    if (!global && this.#state === 'RUNNING' && this.#workerAlive()) {
      const found = this.#mirror.get(storeName, partition, keyBytes);
      if (found.here) {
        const value =
          found.value === undefined ? undefined : (builder.valueSerde.deserialize(found.value) as V);
        return { kind: 'active', partition, value };
      }
    }
    if (this.#state !== 'RUNNING' && this.#state !== 'REBALANCING')
      return { kind: 'unavailable', partition, reason: 'not-running' };
    // No copy of the partition here: no need to ask the worker (a query for another instance's key).
    if (!global && !this.#copies.has(`${storeName}/${partition}`))
      return { kind: 'unavailable', partition, reason: 'not-local' };
    let reply: QueryReply;
    try {
      reply = await this.#request<QueryReply>(
        {
          type: 'query',
          id: 0,
          store: storeName,
          key: keyBytes,
          includeStale: options.includeStale === true,
        },
        QUERY_TIMEOUT_MS,
      );
    } catch (error) {
      // The worker is busy for long, or has just stopped: nothing can be said of the key now.
      if (this.#exited || (error as { code?: string }).code === 'INVALID_STATE_STORE')
        return { kind: 'unavailable', partition, reason: 'restoring' };
      throw error;
    }
    if (reply.kind === 'unavailable') return reply;
    const value =
      reply.value === undefined ? undefined : (builder.valueSerde.deserialize(bytes(reply.value)) as V);
    return { ...reply, value };
  }

  /**
   * A store's entries in the active tasks here, in serialized-key order from `from` inclusive, read from the
   * worker in chunks. Throws INVALID_STATE_STORE for an unknown store or an instance not RUNNING or
   * REBALANCING, when the worker does not answer within 5 s, or when a rebalance changes the tasks here
   * while the entries are read (the listing would miss or repeat some).
   */
  localEntries<K, V>(storeName: string, options: LocalEntriesOptions<K> = {}): AsyncIterable<KeyValue<K, V>> {
    const serdes = storeSerdes(this.#topology, storeName);
    const state = this.#state;
    if (state !== 'RUNNING' && state !== 'REBALANCING')
      throw new StreamsError('INVALID_STATE_STORE', `cannot read ${storeName}: the instance is ${state}`);
    const ask = (from: Buffer | undefined) =>
      this.#request<EntriesReply>(
        { type: 'entries', id: 0, store: storeName, limit: ENTRIES_CHUNK, ...(from ? { from } : {}) },
        READ_TIMEOUT_MS,
      );
    return entriesInChunks<K, V>(ask, storeName, serdes, options.from);
  }

  /**
   * A read-only view of a store. `get` reads the mirror, so only a mirrored store has it: undefined when the
   * key's partition has no copy here, or while a copy is still being sent after a rebalance (use
   * `queryLocal` to tell those apart). Iteration reads the worker, as `localEntries` does.
   */
  store<K, V>(storeName: string): ReadOnlyKeyValueStore<K, V> {
    return mirroredStoreView<K, V>(this.#topology, storeName, {
      mirrored: this.#mirrored.includes(storeName),
      mirror: this.#mirror,
      partitions: (sub) => this.#partitions.get(sub),
      entries: (from) => this.localEntries<K, V>(storeName, from === undefined ? {} : { from }),
    });
  }

  /** The store's active copies, from the mirror when each is complete there (see ActiveEntriesSource). */
  activeEntries<K, V>(storeName: string): ActiveEntries<K, V> | undefined {
    const usable = this.#state === 'RUNNING' && this.#workerAlive() && this.#mirrored.includes(storeName);
    return usable
      ? mirrorActiveEntries(this.#mirror, this.#topology, storeName, this.#status.lags, this.#partitions)
      : undefined;
  }

  windowFetch<K, V>(store: string, key: K, timeFrom: number, timeTo: number, options?: LocalQueryOptions) {
    return this.#windowed.windowFetch<K, V>(store, key, timeFrom, timeTo, options);
  }

  sessionFetch<K, V>(store: string, key: K, from?: number, to?: number, options?: LocalQueryOptions) {
    return this.#windowed.sessionFetch<K, V>(store, key, from, to, options);
  }

  windowFetchAll<K, V>(store: string, timeFrom: number, timeTo: number, options?: WindowFetchAllOptions) {
    return this.#windowed.windowFetchAll<K, V>(store, timeFrom, timeTo, options);
  }

  /** Window and session reads, always answered by the worker (the mirror holds no ranges). */
  readonly #windowed = new WorkerWindowedReads({
    topology: () => this.#topology,
    state: () => this.#state,
    partitions: (sub) => this.#partitions.get(sub),
    hasCopy: (store, partition) => this.#copies.has(`${store}/${partition}`),
    ask: (store, read) => this.#request({ type: 'windowed', id: 0, store, read }, READ_TIMEOUT_MS),
    exited: () => this.#exited,
  });

  /** RUNNING, with no active task restoring (a readiness probe). */
  isGlobalStore(storeName: string): boolean {
    return this.#topology.globalStore(storeName) !== undefined;
  }

  isReady(): boolean {
    return this.#state === 'RUNNING' && this.#status.ready;
  }

  /** Every copy of a store partition kept here, with its changelog lag, as the worker last posted them. */
  localStoreLags(): readonly StoreLag[] {
    return this.#status.lags;
  }

  /** Where the key of a store lives: its partition, the instance whose task owns it, and standby hosts. */
  queryMetadataForKey<K>(storeName: string, key: K): KeyQueryMetadata {
    if (this.#partitions.size === 0)
      throw new StreamsError('INVALID_STATE_STORE', `the instance has not started`);
    return keyQueryMetadata(
      this.#topology,
      (sub) => this.#partitions.get(sub),
      this.#status.clients,
      storeName,
      key,
      this.#state !== 'RUNNING',
    );
  }

  /** Every instance of the application, as the last completed rebalance assigned them. */
  metadataForAllStreamsClients(): readonly StreamsMetadata[] {
    return this.#status.clients;
  }
}
