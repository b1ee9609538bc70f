/** Messages between WorkerStreams (the parent thread) and the engine's worker thread. */

import { CodedError } from '../../../errors/index.js';
import type { LogEntry, LogLevel } from '../../../logging/index.js';
import { StoreError, type StoreErrorCode, storeErrorCodes } from '../../../stores/index.js';
import { StreamsError, type StreamsErrorCode, streamsErrorCodes } from '../../errors.js';
import type { RecordMetadata } from '../../record.js';
import type { StreamsConfig } from '../config.js';
import type { StoreLag } from '../local-queries.js';
import type { StreamsMetadata } from '../streams-metadata.js';
import type { StreamsState } from '../streams-state.js';

/**
 * Where the worker gets its topology: a module both threads import, and the function in it that builds the
 * topology from `args`. The worker checks that what it built is described exactly as the parent's.
 */
export interface TopologySource {
  /** The module's URL (`new URL('./topology.js', import.meta.url).href`). */
  readonly module: string;
  /** The export that builds the topology; default `default`. */
  readonly exportName?: string;
  /** Its argument; must survive structured cloning (no functions, no class instances). */
  readonly args?: unknown;
}

export interface WorkerData {
  readonly source: TopologySource;
  /** The parent's config but its logger, which stays with the parent: the worker posts its entries. */
  readonly config: Omit<StreamsConfig, 'logger'>;
  /** The parent's logger's level: entries it would not write are not posted. */
  readonly logLevel: LogLevel;
  /** The parent's `topology.describe()`, to be matched. */
  readonly description: string;
  /** Added to the worker thread's nice value (Linux); 0 leaves it as it is. */
  readonly niceness: number;
  /** The stores whose active copies the worker mirrors to the parent. */
  readonly mirrored: readonly string[];
  /** 8 bytes: the worker stores Date.now() there (BigInt64, Atomics) every HEARTBEAT_MS while its loop is free. */
  readonly heartbeat: SharedArrayBuffer;
}

/** How often the worker's heartbeat is written, in ms. */
export const HEARTBEAT_MS = 100;

/** What the parent asks; each gets one `reply` with its id. */
export type Request =
  | { readonly type: 'start'; readonly id: number }
  | { readonly type: 'close'; readonly id: number }
  | {
      readonly type: 'query';
      readonly id: number;
      readonly store: string;
      /** The key serialized (keys of any type cross threads intact as bytes). */
      readonly key: Uint8Array;
      readonly includeStale: boolean;
    }
  | {
      readonly type: 'entries';
      readonly id: number;
      readonly store: string;
      /** The first key (serialized), inclusive. */
      readonly from?: Uint8Array;
      readonly limit: number;
    }
  | { readonly type: 'metrics'; readonly id: number; readonly format: 'text' | 'json' }
  | { readonly type: 'windowed'; readonly id: number; readonly store: string; readonly read: WindowedRead };

/** A read of a window or session store (see StreamsEngine): keys serialized, as for `query`. */
export type WindowedRead =
  | {
      readonly kind: 'window';
      readonly key: Uint8Array;
      readonly from: number;
      readonly to: number;
      readonly includeStale: boolean;
    }
  | {
      readonly kind: 'session';
      readonly key: Uint8Array;
      readonly from?: number;
      readonly to?: number;
      readonly includeStale: boolean;
    }
  | { readonly kind: 'all'; readonly from: number; readonly to: number; readonly limit?: number };

/** A window as it crosses threads: its value (and, from `all`, its key) serialized. */
export interface SerializedWindow {
  readonly start: number;
  readonly end: number;
  readonly value: Uint8Array;
  readonly key?: Uint8Array;
}

/** A local query's answer, the value in its serialized form (the parent deserializes it). */
export type QueryReply =
  | { readonly kind: 'active'; readonly partition: number; readonly value: Uint8Array | undefined }
  | {
      readonly kind: 'stale';
      readonly partition: number;
      readonly value: Uint8Array | undefined;
      readonly lag: number;
    }
  | {
      readonly kind: 'unavailable';
      readonly partition: number;
      readonly reason: 'not-local' | 'restoring' | 'not-running';
    };

export interface EntriesReply {
  /** Serialized keys and values, in key order. */
  readonly entries: readonly (readonly [Uint8Array, Uint8Array])[];
  readonly more: boolean;
  /** Counts the assignments taken so far: a listing read in chunks must see one assignment throughout. */
  readonly generation: number;
}

/** What the engine looks like from outside, posted whenever it changes. */
export interface WorkerStatus {
  readonly ready: boolean;
  /** Partitions of each sub-topology (by id), once the instance has looked its topics up. */
  readonly partitions: readonly (readonly [number, number])[];
  readonly lags: readonly StoreLag[];
  /** The instances of the application as the last completed rebalance assigned them. */
  readonly clients: readonly StreamsMetadata[];
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  readonly cause?: SerializedError;
  /** A StreamsError's record: the one that stopped a task. */
  readonly record?: RecordMetadata;
}

export type WorkerMessage =
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly value?: unknown;
      readonly error?: SerializedError;
    }
  | { readonly type: 'state'; readonly next: StreamsState; readonly previous: StreamsState }
  | { readonly type: 'status'; readonly status: WorkerStatus }
  | { readonly type: 'mirror'; readonly operations: ArrayBuffer }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'log'; readonly entry: LogEntry };

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
    ...(error instanceof CodedError && error.record ? { record: { ...error.record } } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: serializeError(error.cause, depth + 1) } : {}),
  };
}

/**
 * The error again, on this side: the engine's and the stores' errors as their classes with their codes,
 * others as an Error with the code; name, stack and cause (a few levels) as they were.
 */
export function deserializeError(error: SerializedError): Error {
  const code = error.code ?? '';
  const options = {
    ...(error.cause ? { cause: deserializeError(error.cause) } : {}),
    ...(error.record ? { record: error.record } : {}),
  };
  const out = (streamsErrorCodes as readonly string[]).includes(code)
    ? new StreamsError(code as StreamsErrorCode, error.message, options)
    : (storeErrorCodes as readonly string[]).includes(code)
      ? new StoreError(code as StoreErrorCode, error.message, options)
      : Object.assign(new Error(error.message, options), code ? { code } : {});
  if (out.name !== error.name)
    Object.defineProperty(out, 'name', { value: error.name, configurable: true, writable: true });
  if (error.stack) out.stack = error.stack;
  return out;
}
