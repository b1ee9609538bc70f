/**
 * Reads of window and session stores across the worker thread: the parent's side (`WorkerWindowedReads`,
 * which WorkerStreams answers with) and the worker's (`answerWindowed`). They are never mirrored: a read
 * is a range of windows, which the worker's stores answer in order, and the mirror answers single keys.
 */

import type { Serde } from '../../../serdes/index.js';
import type { Topology } from '../../topology.js';
import type { LocalQueryOptions } from '../local-queries.js';
import { partitionForKey } from '../murmur2.js';
import type { StreamsEngine } from '../streams-engine.js';
import { storeOf } from '../streams-metadata.js';
import type { StreamsState } from '../streams-state.js';
import type {
  LocalFetchResult,
  WindowedEntry,
  WindowedValue,
  WindowFetchAllOptions,
  WindowFetchAllResult,
} from '../windowed-reads.js';
import type { SerializedWindow, WindowedRead } from './protocol.js';
import { bytes } from './worker-reads.js';

type Engine = Pick<StreamsEngine, 'windowFetch' | 'sessionFetch' | 'windowFetchAll'>;

/** What the parent's side needs of WorkerStreams. */
export interface WindowedReadsHost {
  /** The parent's copy of the topology (for serdes and partitions). */
  topology(): Topology;
  state(): StreamsState;
  /** A sub-topology's partition count, once the worker has said it. */
  partitions(subtopology: number): number | undefined;
  /** Whether a copy (active, restoring or standby) of the store's partition is kept in the worker. */
  hasCopy(store: string, partition: number): boolean;
  /** Asks the worker; rejects when it does not answer in time or has stopped. */
  ask<T>(store: string, read: WindowedRead): Promise<T>;
  /** Whether the worker thread has ended. */
  exited(): boolean;
}

function serdesOf(topology: Topology, store: string) {
  const { sub, builder } = storeOf(topology, store);
  return {
    sub,
    keySerde: builder.keySerde as Serde<unknown>,
    valueSerde: builder.valueSerde as Serde<unknown>,
  };
}

/** The parent's side: each read answered by the worker, as KafkaStreams answers it there. */
export class WorkerWindowedReads {
  readonly #host: WindowedReadsHost;

  constructor(host: WindowedReadsHost) {
    this.#host = host;
  }

  windowFetch<K, V>(
    store: string,
    key: K,
    from: number,
    to: number,
    options: LocalQueryOptions = {},
  ): Promise<LocalFetchResult<WindowedValue<V>>> {
    return this.#keyRead<K, V>(store, key, (keyBytes) => ({
      kind: 'window',
      key: keyBytes,
      from,
      to,
      includeStale: options.includeStale === true,
    }));
  }

  sessionFetch<K, V>(
    store: string,
    key: K,
    from?: number,
    to?: number,
    options: LocalQueryOptions = {},
  ): Promise<LocalFetchResult<WindowedValue<V>>> {
    return this.#keyRead<K, V>(store, key, (keyBytes) => ({
      kind: 'session',
      key: keyBytes,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      includeStale: options.includeStale === true,
    }));
  }

  async windowFetchAll<K, V>(
    store: string,
    from: number,
    to: number,
    options: WindowFetchAllOptions = {},
  ): Promise<WindowFetchAllResult<K, V>> {
    const { keySerde, valueSerde } = serdesOf(this.#host.topology(), store);
    const read: WindowedRead = {
      kind: 'all',
      from,
      to,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    };
    const reply = await this.#host.ask<WindowFetchAllResult<Uint8Array, Uint8Array>>(store, read);
    const entries = reply.entries.map(
      (entry): WindowedEntry<K, V> => ({
        key: keySerde.deserialize(bytes(entry.key)) as K,
        start: entry.start,
        end: entry.end,
        value: valueSerde.deserialize(bytes(entry.value)) as V,
      }),
    );
    return { entries, more: reply.more };
  }

  /** A key's read: answered `unavailable` here when no copy of its partition is in the worker. */
  async #keyRead<K, V>(
    store: string,
    key: K,
    read: (keyBytes: Buffer) => WindowedRead,
  ): Promise<LocalFetchResult<WindowedValue<V>>> {
    const host = this.#host;
    const { sub, keySerde, valueSerde } = serdesOf(host.topology(), store);
    const keyBytes = keySerde.serialize(key);
    const count = host.partitions(sub.id);
    const partition = count === undefined ? 0 : partitionForKey(keyBytes, count);
    const state = host.state();
    if (state !== 'RUNNING' && state !== 'REBALANCING')
      return { kind: 'unavailable', partition, reason: 'not-running' };
    if (count === undefined || !host.hasCopy(store, partition))
      return { kind: 'unavailable', partition, reason: 'not-local' };
    let reply: LocalFetchResult<SerializedWindow>;
    try {
      reply = await host.ask<LocalFetchResult<SerializedWindow>>(store, read(keyBytes));
    } catch (error) {
      // The worker is busy for long, or has just stopped: nothing can be said of the key now.
      if (host.exited() || (error as { code?: string }).code === 'INVALID_STATE_STORE')
        return { kind: 'unavailable', partition, reason: 'restoring' };
      throw error;
    }
    if (reply.kind === 'unavailable') return reply;
    const values = reply.values.map(({ start, end, value }) => ({
      start,
      end,
      value: valueSerde.deserialize(bytes(value)) as V,
    }));
    return { ...reply, values };
  }
}

/** The worker's side: the read asked of its KafkaStreams, keys and values serialized for the way back. */
export async function answerWindowed(
  engine: Engine,
  topology: Topology,
  store: string,
  read: WindowedRead,
): Promise<LocalFetchResult<SerializedWindow> | WindowFetchAllResult<Uint8Array, Uint8Array>> {
  const { keySerde, valueSerde } = serdesOf(topology, store);
  if (read.kind === 'all') {
    const options = read.limit === undefined ? {} : { limit: read.limit };
    const found = await engine.windowFetchAll<unknown, unknown>(store, read.from, read.to, options);
    const entries = found.entries.map(({ key, start, end, value }) => ({
      key: keySerde.serialize(key),
      start,
      end,
      value: valueSerde.serialize(value),
    }));
    return { entries, more: found.more };
  }
  const key = keySerde.deserialize(Buffer.from(read.key));
  const options = { includeStale: read.includeStale };
  const found =
    read.kind === 'window'
      ? await engine.windowFetch<unknown, unknown>(store, key, read.from, read.to, options)
      : await engine.sessionFetch<unknown, unknown>(store, key, read.from, read.to, options);
  if (found.kind === 'unavailable') return found;
  const values = found.values.map(({ start, end, value }) => ({
    start,
    end,
    value: valueSerde.serialize(value),
  }));
  return { ...found, values };
}
