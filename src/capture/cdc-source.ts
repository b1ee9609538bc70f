/**
 * One followed collection: its change stream, opened or resumed, and read in batches. What the events mean
 * and what they write is the CDC's business (cdc.ts); this file only moves them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeStream, ChangeStreamOptions, Collection, Document } from 'mongodb';
import { type ChangeEvent, describeError, isTransientMongoError } from './cdc-events.js';
import type { AceCollection } from './cdc-mapping.js';
import { parseToken } from './cdc-offsets.js';

/** How long the server holds an empty getMore: it bounds how late a change is seen, and how long close waits. */
const MAX_AWAIT_TIME_MS = 250;

/** Where a stream opens: after a stored token, after an invalidate event, or now. */
export type StreamStart =
  | { readonly resumeAfter: string }
  | { readonly startAfter: unknown }
  | { readonly now: true };

export interface DrainResult {
  /** The stream answered that it had nothing more, as opposed to the batch being full. */
  readonly caughtUp: boolean;
  /** The invalidate event that ended the stream, when one did: reopen after it. */
  readonly invalidatedBy?: ChangeEvent;
}

export class CollectionSource {
  readonly collection: AceCollection;
  /** `<database>.<collection>`, as keys of the offsets topic name it. */
  readonly namespace: string;
  readonly handle: Collection<Document>;
  /** Set when the collection must be read whole before events can be trusted again (see cdc.ts). */
  needsResync = false;
  /** Set while what was written may be newer than the events still to come (see cdc.ts). */
  catchUp = false;
  /** Logged once: that this collection's events ask for a resync (mongo-java-server's updates do). */
  brokenEventsLogged = false;
  /** When this stream's token was last written to the offsets topic (epoch ms). */
  tokenStoredAt = 0;
  #stream: ChangeStream<Document> | undefined;
  #pending: ChangeEvent[] = [];

  constructor(collection: AceCollection, database: string, handle: Collection<Document>) {
    this.collection = collection;
    this.namespace = `${database}.${collection}`;
    this.handle = handle;
  }

  /** The resume token after the last event read: the last event's `_id`, or the server's post-batch token. */
  get resumeToken(): unknown {
    return this.#stream?.resumeToken ?? undefined;
  }

  /**
   * Opens the change stream and forces its cursor open (the aggregate runs now, not at the first read), so
   * that nothing written after this resolves is missed. An event that the opening read returned is kept for
   * the next `drain`. Rejects with the server's error when it refuses the stream.
   */
  async open(start: StreamStart): Promise<void> {
    await this.close();
    const options: ChangeStreamOptions = { fullDocument: 'updateLookup', maxAwaitTimeMS: MAX_AWAIT_TIME_MS };
    if ('resumeAfter' in start) options.resumeAfter = parseToken(start.resumeAfter);
    if ('startAfter' in start) options.startAfter = start.startAfter as ChangeStreamOptions['startAfter'];
    const stream = this.handle.watch([], options);
    this.#stream = stream;
    try {
      const first = await stream.tryNext();
      if (first !== null) this.#pending.push(first as ChangeEvent);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.#stream !== undefined;
  }

  /**
   * Reads events into `into` until the stream has none waiting, `limit` is reached, `shouldStop` answers true
   * or an invalidate event ends the stream.
   */
  async drain(into: ChangeEvent[], limit: number, shouldStop: () => boolean): Promise<DrainResult> {
    const stream = this.#stream;
    if (stream === undefined) throw new Error(`the ${this.namespace} change stream is not open`);
    for (let event = this.#pending.shift(); event !== undefined; event = this.#pending.shift())
      into.push(event);
    while (into.length < limit && !shouldStop()) {
      const last = into.at(-1);
      if (last?.operationType === 'invalidate') return { caughtUp: false, invalidatedBy: last };
      const event = (await stream.tryNext()) as ChangeEvent | null;
      if (event === null) return { caughtUp: true };
      into.push(event);
    }
    const last = into.at(-1);
    if (last?.operationType === 'invalidate') return { caughtUp: false, invalidatedBy: last };
    return { caughtUp: false };
  }

  /** Closes the stream; idempotent. Events read ahead and not yet drained are dropped with it. */
  async close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#pending = [];
    await stream?.close().catch(() => undefined);
  }
}

/**
 * Runs `operation` until it succeeds, retrying MongoDB failures that may pass (lost connection, failover)
 * after a growing pause, at most `attempts` times; other errors are thrown at once.
 */
export async function retryingMongo<T>(
  what: string,
  attempts: number,
  log: (line: string) => void,
  signal: AbortSignal,
  operation: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientMongoError(error) || attempt >= attempts || signal.aborted) throw error;
      const delay = backoffMs(attempt);
      log(`could not ${what}: ${describeError(error)}; trying again in ${delay} ms`);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** 0.5 s, doubling, at most 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 30_000);
}
