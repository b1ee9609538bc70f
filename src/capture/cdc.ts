/**
 * Change data capture from a UniFi controller's MongoDB (`ace.device`, `ace.user`) into the `devices` topic,
 * with Kafka as the only system of record: the resume tokens and what was written for each document live in
 * the compacted `<application.id>-cdc-offsets` topic, written in the same Kafka transaction as the `devices`
 * records they account for (cdc-offsets.ts). A crash therefore never leaves one without the other, and a
 * restart neither misses nor repeats a change.
 *
 * How changes are followed:
 * - First start: open both change streams (cursors forced open), then snapshot both collections and write
 *   what differs from what was written (on a first start, everything), then follow the streams.
 * - Restart: resume each stream after its stored token. Where there is no token (the stream never returned
 *   one: mongo-java-server gives a token only with an event) or resuming fails, open a new stream and
 *   snapshot, which is just as loss- and repeat-free, because a snapshot is compared with what was written.
 * - An event that says which document changed and carries it (MongoDB's insert, replace, and update with
 *   `updateLookup`) is written as it comes; a delete writes a tombstone for the MAC remembered for its `_id`.
 *   An event that does not (mongo-java-server's updates; drop, rename, invalidate) makes the CDC re-read the
 *   collection and write the difference, once per burst.
 * - After a snapshot, or when resuming, what was written may be newer than the events still queued (they
 *   happened before the read): until the stream has been read to its end once, each event's document is read
 *   again by `_id` instead, so that a stale event never overwrites a newer record.
 * - A server without change streams (a standalone mongod answers code 40573), or `changeStreams: false`:
 *   snapshot and diff every `pollIntervalMs`, logged once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Document, MongoClient } from 'mongodb';
import { type Logger, redactingLogger } from '../logging/index.js';
import {
  type ChangeEvent,
  describeError,
  type EventAction,
  eventAction,
  isServerRefusal,
  isTransientMongoError,
  redactCredentials,
} from './cdc-events.js';
import { ACE_COLLECTIONS, ACE_PROJECTION } from './cdc-mapping.js';
import { canonicalEjson, documentKey } from './cdc-offsets.js';
import { type DeviceCdcOptions, type ResolvedCdcOptions, resolveCdcOptions } from './cdc-options.js';
import { backoffMs, CollectionSource, retryingMongo } from './cdc-source.js';
import { CdcState } from './cdc-state.js';
import { type Batch, CdcTransactions, type DeviceCdcStats } from './cdc-transaction.js';
import { CdcWriter } from './cdc-writer.js';
import { CaptureError } from './errors.js';

export type { DeviceCdcOptions, DeviceCdcStats };

/** Events read into one Kafka transaction at most. */
const MAX_BATCH_EVENTS = 1000;
/** Beyond this many queued events, catching up reads the whole collection rather than each document. */
const MAX_CATCH_UP_LOOKUPS = 100;
/** A burst of events that ask for a resync is waited out for this long, so that one read serves them all. */
const RESYNC_DEBOUNCE_MS = 100;
/** Pause between two empty reads of the streams (mongo-java-server answers an empty getMore at once). */
const IDLE_MS = 100;
/** How often a quiet stream's moving resume token (MongoDB's post-batch token) is stored. */
const IDLE_TOKEN_STORE_MS = 60_000;
const START_ATTEMPTS = 3;
const CLOSE_WAIT_MS = 10_000;

export class DeviceCdc {
  readonly #options: ResolvedCdcOptions;
  readonly #writer: CdcWriter;
  readonly #state = new CdcState();
  readonly #transactions: CdcTransactions;
  readonly #abort = new AbortController();
  #mode: 'change-streams' | 'snapshot-diff' | undefined;
  #client: MongoClient | undefined;
  #sources: CollectionSource[] = [];
  /** Set when a pass failed after reading events: the streams must go back to the committed tokens. */
  #rewind = false;
  #starting: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: DeviceCdcOptions) {
    this.#options = resolveCdcOptions(options);
    const { kafka, applicationId, devicesTopic, logger } = this.#options;
    this.#writer = new CdcWriter(kafka, applicationId, devicesTopic);
    // Lines name the URL without its credentials already; the redaction also covers a driver's message.
    this.#logger = redactingLogger(logger.child('device CDC'), redactCredentials);
    this.#transactions = new CdcTransactions(this.#writer, this.#state, this.#warn);
  }

  /** How changes are followed, once `start()` has chosen: undefined before. */
  get mode(): 'change-streams' | 'snapshot-diff' | undefined {
    return this.#mode;
  }

  stats(): DeviceCdcStats {
    return { ...this.#transactions.totals };
  }

  /**
   * Resolves once the snapshot is written and changes are being followed. Rejects with a CaptureError:
   * CDC_TOPIC_MISSING, CDC_KAFKA_FAILED, CDC_OFFSETS_CORRUPT, or CDC_MONGODB_FAILED after a few retries.
   */
  start(): Promise<void> {
    if (this.#starting !== undefined || this.#closing !== undefined) {
      return Promise.reject(new Error('a DeviceCdc starts once, and not after close()'));
    }
    this.#starting = this.#start();
    return this.#starting;
  }

  /** Stops following, finishing the batch in hand, and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      await this.#starting?.catch(() => undefined);
      // Unreferenced: a pending 10-second timer would otherwise keep the process alive after a prompt stop.
      if (this.#loop !== undefined)
        await Promise.race([this.#loop, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
      await this.#teardown();
    })();
    return this.#closing;
  }

  get #stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  readonly #logger: Logger;
  readonly #log = (line: string): void => this.#logger.info(line);
  readonly #warn = (line: string): void => this.#logger.warn(line);

  async #start(): Promise<void> {
    const { mongodbUrl, database } = this.#options;
    try {
      const read = await this.#writer.open(this.#state);
      this.#log(
        `read ${read} records of ${this.#writer.offsetsTopic}: ${this.#state.size} documents written before`,
      );
      this.#log(`reading ${database}.device and ${database}.user at ${redactCredentials(mongodbUrl)}`);
      const client = new MongoClient(mongodbUrl, { appName: 'probestream-cdc' });
      this.#client = client;
      await this.#mongoStep('connect to MongoDB', () => client.connect());
      const db = client.db(database);
      this.#sources = ACE_COLLECTIONS.map(
        (name) => new CollectionSource(name, database, db.collection(name)),
      );
      await this.#chooseMode();
      await this.#mongoStep('take the snapshot', () => this.#pass());
      const { snapshotDocuments, recordsWritten, tombstones } = this.#transactions.totals;
      this.#log(
        `snapshot done: ${snapshotDocuments} documents read, ${recordsWritten} records and ${tombstones} ` +
          'tombstones written',
      );
      if (!this.#stopping) this.#loop = this.#follow();
    } catch (error) {
      await this.#teardown();
      throw error instanceof CaptureError
        ? error
        : new CaptureError('CDC_MONGODB_FAILED', `could not start: ${describeError(error)}`, {
            cause: error,
          });
    }
  }

  async #chooseMode(): Promise<void> {
    const { changeStreams, pollIntervalMs, database } = this.#options;
    const fallBack = (why: string) => {
      this.#mode = 'snapshot-diff';
      this.#log(
        `${why}: falling back to snapshot diffing, reading ${database}.device and ${database}.user every ` +
          `${pollIntervalMs} ms`,
      );
    };
    if (!changeStreams) return fallBack('change streams are turned off (changeStreams: false)');
    try {
      await retryingMongo('open the change streams', START_ATTEMPTS, this.#warn, this.#abort.signal, () =>
        this.#openStreams(),
      );
      this.#mode = 'change-streams';
      this.#log(`following ${database}.device and ${database}.user by change streams`);
    } catch (error) {
      // Retries did not help a lost connection: that is no reason to believe the server lacks change streams.
      if (isTransientMongoError(error)) throw error;
      await Promise.all(this.#sources.map((source) => source.close()));
      fallBack(`MongoDB change streams are unavailable (${describeError(error)})`);
    }
  }

  /** Opens every stream after its committed token (or now, with a snapshot to follow). */
  async #openStreams(): Promise<void> {
    for (const source of this.#sources) {
      const token = this.#state.token(source.namespace);
      if (token !== undefined) {
        try {
          await source.open({ resumeAfter: token });
          source.catchUp = true;
          this.#log(`resuming the ${source.namespace} change stream after its stored token`);
          continue;
        } catch (error) {
          if (!isServerRefusal(error)) throw error;
          this.#warn(
            `cannot resume ${source.namespace} (${describeError(error)}): taking a snapshot instead`,
          );
        }
      }
      await source.open({ now: true });
      source.needsResync = true;
    }
    this.#rewind = false;
  }

  /** The background loop: a pass, a pause when there was nothing to do, retries while MongoDB fails. */
  async #follow(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      try {
        await this.#recover();
        const busy = await this.#pass();
        failures = 0;
        if (!busy)
          await this.#pause(this.#mode === 'change-streams' ? IDLE_MS : this.#options.pollIntervalMs);
      } catch (error) {
        if (this.#stopping) return;
        if (!isTransientMongoError(error)) {
          const failure =
            error instanceof CaptureError
              ? error
              : new CaptureError('CDC_MONGODB_FAILED', describeError(error), { cause: error });
          this.#logger.error(`stopped: ${failure.message}`);
          this.#options.onError?.(failure);
          return;
        }
        failures += 1;
        const delay = backoffMs(failures);
        this.#warn(`MongoDB failed: ${describeError(error)}; trying again in ${delay} ms`);
        await this.#pause(delay);
      }
    }
  }

  /** One round over both collections, a transaction each. Answers whether there was anything to do. */
  async #pass(): Promise<boolean> {
    let busy = false;
    for (const source of this.#sources) {
      if (this.#stopping) break;
      busy =
        (this.#mode === 'change-streams' ? await this.#followSource(source) : await this.#poll(source)) ||
        busy;
    }
    return busy;
  }

  async #poll(source: CollectionSource): Promise<boolean> {
    await this.#transaction(async (batch) => this.#resync(source, batch));
    return false;
  }

  /** One batch of a stream's events in one transaction. Answers whether there were any. */
  async #followSource(source: CollectionSource): Promise<boolean> {
    const events: ChangeEvent[] = [];
    let drained = await this.#drain(source, events);
    const asking = events.map(eventAction).find((a) => a.kind === 'resync' || a.kind === 'invalidate');
    if (asking !== undefined && drained.caughtUp) {
      // A burst of such events (one per update on mongo-java-server): wait for its end, then read once.
      await this.#pause(RESYNC_DEBOUNCE_MS);
      drained = await this.#drain(source, events);
    }
    if (asking?.kind === 'resync' && !source.brokenEventsLogged) {
      source.brokenEventsLogged = true;
      this.#log(
        `${source.namespace} sent an event that does not say which document changed (${asking.why}): ` +
          'reading the whole collection on such events',
      );
    }
    const resync =
      source.needsResync || asking !== undefined || (source.catchUp && events.length > MAX_CATCH_UP_LOOKUPS);
    const token = drained.invalidatedBy === undefined ? source.resumeToken : undefined;
    const newToken = token == null ? undefined : canonicalEjson(token);
    const tokenMoved = newToken !== undefined && newToken !== this.#state.token(source.namespace);
    if (events.length === 0 && !resync) {
      source.catchUp &&= !drained.caughtUp;
      // MongoDB moves the token on with its oplog even when the collection is quiet. Storing it now and then
      // lets a restart after a quiet week resume inside the oplog window instead of taking a snapshot.
      if (tokenMoved && Date.now() - source.tokenStoredAt >= IDLE_TOKEN_STORE_MS) {
        await this.#transaction(async (batch) => this.#storeToken(source, newToken, batch));
      }
      return false;
    }
    let lookedUp = false;
    await this.#transaction(async (batch) => {
      batch.changes = events.length;
      if (resync) await this.#resync(source, batch);
      else {
        for (const action of events.map(eventAction)) {
          lookedUp = (await this.#apply(source, action, batch)) || lookedUp;
        }
      }
      if (tokenMoved) this.#storeToken(source, newToken, batch);
    });
    source.needsResync = false;
    // Events still queued may predate the reads just made: look their documents up until the stream is dry.
    source.catchUp = resync || lookedUp || (source.catchUp && !drained.caughtUp);
    if (drained.invalidatedBy !== undefined) await this.#reopenAfter(source, drained.invalidatedBy);
    return true;
  }

  #storeToken(source: CollectionSource, token: string, batch: Batch): void {
    this.#transactions.storeToken(source.namespace, token, batch);
    source.tokenStoredAt = Date.now();
  }

  /** Reopens a stream that its collection's drop or rename ended, just after the invalidate event. */
  async #reopenAfter(source: CollectionSource, invalidate: ChangeEvent): Promise<void> {
    this.#log(`the ${source.namespace} change stream was invalidated (dropped or renamed): reopening it`);
    try {
      try {
        await source.open({ startAfter: invalidate._id });
      } catch (error) {
        if (!isServerRefusal(error)) throw error;
        // A server without startAfter (before 4.2): a new stream, and a snapshot to cover the gap.
        await source.open({ now: true });
        source.needsResync = true;
      }
    } catch (error) {
      this.#rewind = true;
      throw error;
    }
    source.catchUp = true;
  }

  async #drain(source: CollectionSource, events: ChangeEvent[]) {
    try {
      return await source.drain(events, MAX_BATCH_EVENTS, () => this.#stopping);
    } catch (error) {
      this.#rewind = true;
      throw error;
    }
  }

  /** Writes one event's effect. Answers whether it read the document again (see #followSource). */
  async #apply(source: CollectionSource, action: EventAction, batch: Batch): Promise<boolean> {
    if (action.kind === 'ignore' || action.kind === 'resync' || action.kind === 'invalidate') return false;
    const key = documentKey(source.namespace, action.id);
    if (action.kind === 'document' && !source.catchUp) {
      this.#transactions.write(source.collection, key, action.document, batch);
      return false;
    }
    if (action.kind === 'delete' && !source.catchUp) {
      this.#transactions.write(source.collection, key, undefined, batch);
      return false;
    }
    const current = await source.handle.findOne({ _id: action.id } as Document, {
      projection: ACE_PROJECTION,
    });
    this.#transactions.write(source.collection, key, current ?? undefined, batch);
    return true;
  }

  /** Reads the whole collection and writes what differs from what was written, in the order of the keys. */
  async #resync(source: CollectionSource, batch: Batch): Promise<void> {
    const documents = await source.handle.find({}, { projection: ACE_PROJECTION }).toArray();
    this.#transactions.writeSnapshot(source.collection, source.namespace, documents, batch);
  }

  /** A transaction (CdcTransactions.run); a failure after events were read rewinds the streams. */
  async #transaction(work: (batch: Batch) => Promise<void> | void): Promise<void> {
    try {
      await this.#transactions.run(work);
    } catch (error) {
      this.#rewind = true;
      throw error;
    }
  }

  /** A MongoDB step of start(), retried a few times when it fails in a way that may pass. */
  async #mongoStep<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await retryingMongo(what, START_ATTEMPTS, this.#warn, this.#abort.signal, async () => {
        await this.#recover();
        return operation();
      });
    } catch (error) {
      if (error instanceof CaptureError) throw error;
      throw new CaptureError('CDC_MONGODB_FAILED', `could not ${what}: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /** After a failed pass: back to the committed tokens, since the streams had read past them. */
  async #recover(): Promise<void> {
    if (!this.#rewind) return;
    if (this.#mode === 'change-streams') await this.#openStreams();
    this.#rewind = false;
  }

  async #pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#abort.signal }).catch(() => undefined);
  }

  async #teardown(): Promise<void> {
    await Promise.all(this.#sources.map((source) => source.close()));
    await this.#client?.close().catch(() => undefined);
    await this.#writer.close();
  }
}
