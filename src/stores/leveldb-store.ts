import { rm } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import { ClassicLevel } from 'classic-level';
import { StoreError } from './errors.js';
import { type BytesStore, type KeyValue, putIfAbsentByGet } from './key-value-store.js';
import { type BufferedWrite, overlaid } from './merge.js';

/** Writes taken from a durable store at a commit, to be written later together with a checkpoint. */
export interface PendingWrites {
  /** The number of keys written or deleted. */
  readonly size: number;
}

/** A store whose writes reach disk only at a commit, in one batch with the changelog offset they reflect. */
export interface CheckpointedStore extends BytesStore {
  /**
   * The next changelog offset to restore from: the offset after the last change this store holds.
   * undefined: never checkpointed (restore from 0).
   */
  readonly checkpoint: bigint | undefined;
  /** Takes the writes made since the last takeWrites(); they stay visible to reads until written. */
  takeWrites(): PendingWrites;
  /**
   * Writes taken writes and the checkpoint in one atomic LevelDB batch. Writes must be written in the order
   * they were taken (a TypeError otherwise); calls made before an earlier one settles wait for it.
   * checkpoint undefined leaves the stored checkpoint as it is.
   */
  writeCheckpointed(writes: PendingWrites, checkpoint: bigint | undefined): Promise<void>;
  /** Deletes everything, checkpoint included (a store being rebuilt from offset 0). */
  clear(): Promise<void>;
}

// Data keys are the store's keys after a 0x01 byte; metadata sits under 0x00, before any data.
const DATA = Buffer.from([0x01]);
const DATA_END = Buffer.from([0x02]);
const CHECKPOINT_KEY = Buffer.from('\x00checkpoint', 'latin1');
const COUNT_KEY = Buffer.from('\x00count', 'latin1');
// Present while clear() runs: an open that finds it finishes the clear.
const CLEARING_KEY = Buffer.from('\x00clearing', 'latin1');
const MAX_INT64 = 2n ** 63n - 1n;
const CHUNK = 1000;
const YIELD_EVERY = 10_000;

type Db = ClassicLevel<Buffer, Buffer>;
type Writes = Map<string, BufferedWrite>;
type Chunked = { nextv(size: number): Promise<[Buffer, Buffer][]> };

class TakenWrites implements PendingWrites {
  /** Set once writeCheckpointed has been called with these writes; dropped: cleared before written. */
  queued = false;
  dropped = false;
  constructor(
    readonly owner: LevelDbKeyValueStore,
    readonly writes: Writes,
  ) {}
  get size(): number {
    return this.writes.size;
  }
}

/**
 * A BytesStore kept in LevelDB (classic-level), one folder per store. Writes are buffered in memory and
 * reach disk only through writeCheckpointed (or flush), in one batch with the changelog offset they reflect
 * and an exact entry count, so that what is on disk always matches its checkpoint.
 *
 * Like the in-memory store, it keeps the buffers it is given and hands back those it holds, without
 * copying. Iteration reads a snapshot taken at its first step: LevelDB's, with the buffered writes of that
 * moment laid over it. Closing the store ends an iteration in progress with STORE_NOT_OPEN.
 */
export class LevelDbKeyValueStore implements CheckpointedStore {
  readonly name: string;
  readonly persistent = true;
  readonly #db: Db;
  #open = true;
  #closing: Promise<void> | undefined;
  #checkpoint: bigint | undefined;
  #count: number;
  #pending: Writes = new Map();
  /** Taken and not yet written, oldest first. */
  #taken: TakenWrites[] = [];
  /** Serialises batches (and clears), so that each sees the ones before it on disk. */
  #writing: Promise<void> = Promise.resolve();
  /** A failed batch: later batches would put the disk out of order, so they fail too. */
  #failure: unknown;

  private constructor(name: string, db: Db, checkpoint: bigint | undefined, count: number) {
    this.name = name;
    this.#db = db;
    this.#checkpoint = checkpoint;
    this.#count = count;
  }

  /**
   * Opens (creating) the LevelDB folder at `location`. Fails with STORE_OPEN_FAILED (cause: the LevelDB
   * error) when the folder cannot be opened: locked by another process, corrupt, not a LevelDB.
   */
  static async open(location: string, name: string): Promise<LevelDbKeyValueStore> {
    if (typeof location !== 'string' || location === '')
      throw new TypeError('A location must be a non-empty string');
    if (typeof name !== 'string' || name === '')
      throw new TypeError('A store name must be a non-empty string');
    const db: Db = new ClassicLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
      if (db.getSync(CLEARING_KEY) !== undefined) await deleteAll(db);
      const checkpoint = db.getSync(CHECKPOINT_KEY)?.readBigInt64BE();
      const count = Number(db.getSync(COUNT_KEY)?.readBigInt64BE() ?? 0n);
      return new LevelDbKeyValueStore(name, db, checkpoint, count);
    } catch (error) {
      await db.close().catch(() => {});
      throw new StoreError('STORE_OPEN_FAILED', `Store ${name} could not open ${location}`, { cause: error });
    }
  }

  /**
   * Removes a store's folder (for a store that cannot be opened: the engine then rebuilds it from its
   * changelog). Fails with STORE_OPEN_FAILED while the store is open, here or in another process.
   */
  static async destroy(location: string): Promise<void> {
    try {
      await ClassicLevel.destroy(location); // refuses while another holds the lock
      await rm(location, { recursive: true, force: true }); // what LevelDB left: files not its own
    } catch (error) {
      const locked = (error as { code?: unknown }).code === 'LEVEL_LOCKED';
      const code = locked ? 'STORE_OPEN_FAILED' : 'STORE_IO_FAILED';
      throw new StoreError(code, `Could not destroy ${location}`, { cause: error });
    }
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get checkpoint(): bigint | undefined {
    return this.#checkpoint;
  }

  get(key: Buffer): Buffer | undefined {
    this.#assertOpen();
    checkBuffer(key, 'key');
    if (this.#pending.size > 0 || this.#taken.length > 0) {
      const buffered = this.#buffered(key.toString('latin1'));
      if (buffered !== undefined) return buffered.value ?? undefined;
    }
    return this.#read(dataKey(key));
  }

  put(key: Buffer, value: Buffer): void {
    this.#assertOpen();
    this.#set(checkBuffer(key, 'key'), checkBuffer(value, 'value'));
  }

  putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    return putIfAbsentByGet(this, key, value);
  }

  /** Checks every entry before writing any, so that a bad entry leaves the store unchanged. */
  putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    this.#assertOpen();
    const checked = Array.from(entries, ({ key, value }) => ({
      key: checkBuffer(key, 'key'),
      value: checkBuffer(value, 'value'),
    }));
    for (const { key, value } of checked) this.#set(key, value);
  }

  delete(key: Buffer): Buffer | undefined {
    const previous = this.get(key);
    if (previous !== undefined) this.#set(key, null);
    return previous;
  }

  range(from?: Buffer, to?: Buffer): AsyncIterable<KeyValue<Buffer, Buffer>> {
    this.#assertOpen();
    if (from !== undefined) checkBuffer(from, 'key');
    if (to !== undefined) checkBuffer(to, 'key');
    return this.#iterate(from, to);
  }

  all(): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.range();
  }

  /** Exact for what is on disk; buffered writes count once written. */
  approximateNumEntries(): number {
    this.#assertOpen();
    return this.#count;
  }

  takeWrites(): PendingWrites {
    this.#assertOpen();
    const taken = new TakenWrites(this, this.#pending);
    this.#pending = new Map();
    this.#taken.push(taken);
    return taken;
  }

  async writeCheckpointed(writes: PendingWrites, checkpoint: bigint | undefined): Promise<void> {
    this.#assertOpen();
    if (!(writes instanceof TakenWrites) || writes.owner !== this) {
      throw new TypeError(`Store ${this.name}: writes must come from this store's takeWrites()`);
    }
    if (writes.queued) throw new TypeError(`Store ${this.name}: these writes were already written`);
    if (!writes.dropped && this.#taken.find((t) => !t.queued) !== writes) {
      throw new TypeError(`Store ${this.name}: writes must be written in the order they were taken`);
    }
    if (
      checkpoint !== undefined &&
      !(typeof checkpoint === 'bigint' && checkpoint >= 0n && checkpoint <= MAX_INT64)
    ) {
      throw new TypeError(`Store ${this.name}: a checkpoint must be a bigint from 0 to 2^63-1`);
    }
    writes.queued = true;
    return this.#serialised(() => this.#write(writes, checkpoint));
  }

  /**
   * Writes the writes made since the last take, leaving the checkpoint as it is. A TypeError while taken
   * writes wait for their writeCheckpointed, which must come first.
   */
  async flush(): Promise<void> {
    this.#assertOpen();
    if (this.#taken.some((t) => !t.queued)) {
      throw new TypeError(`Store ${this.name}: flush while taken writes wait for writeCheckpointed`);
    }
    return this.writeCheckpointed(this.takeWrites(), undefined);
  }

  /** Drops the buffered writes and deletes everything on disk; taken writes not yet written are dropped. */
  async clear(): Promise<void> {
    this.#assertOpen();
    this.#pending = new Map();
    for (const taken of this.#taken) taken.dropped = true;
    this.#taken = [];
    return this.#serialised(async () => {
      await deleteAll(this.#db).catch((error: unknown) => {
        this.#failure = error;
        throw this.#ioError(error, 'clear');
      });
      this.#checkpoint = undefined;
      this.#count = 0;
      this.#failure = undefined;
    });
  }

  /** Drops the buffered writes (close does not flush) and waits for a batch in progress. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#open = false;
      this.#pending = new Map();
      this.#taken = [];
      this.#closing = this.#writing.then(() => this.#db.close());
    }
    return this.#closing;
  }

  async #write(taken: TakenWrites, checkpoint: bigint | undefined): Promise<void> {
    if (taken.dropped) return;
    if (this.#failure !== undefined) {
      throw new StoreError('STORE_IO_FAILED', `Store ${this.name}: an earlier write failed`, {
        cause: this.#failure,
      });
    }
    // A chained batch: about a third faster than an array of operations for large commits.
    const batch = this.#db.batch();
    try {
      // Earlier batches are on disk, so reading tells whether each key is new: the count stays exact.
      let count = this.#count;
      let done = 0;
      for (const { key, value } of taken.writes.values()) {
        // A large commit would hold the event loop for seconds: let processing and queries in between.
        if (++done % YIELD_EVERY === 0) await setImmediate();
        const k = dataKey(key);
        const existed = this.#db.getSync(k) !== undefined;
        if (value !== null) {
          batch.put(k, value);
          if (!existed) count++;
        } else if (existed) {
          batch.del(k);
          count--;
        }
      }
      if (count !== this.#count) batch.put(COUNT_KEY, int64(BigInt(count)));
      if (checkpoint !== undefined) batch.put(CHECKPOINT_KEY, int64(checkpoint));
      await batch.write();
      this.#count = count;
      if (checkpoint !== undefined) this.#checkpoint = checkpoint;
      this.#taken = this.#taken.filter((t) => t !== taken);
    } catch (error) {
      await batch.close().catch(() => {});
      // Later batches would reach disk without this one: they fail too.
      this.#failure = error;
      throw this.#ioError(error, 'write');
    }
  }

  #serialised(operation: () => Promise<void>): Promise<void> {
    const done = this.#writing.then(() => {
      this.#assertOpen();
      return operation();
    });
    this.#writing = done.catch(() => {});
    return done;
  }

  #set(key: Buffer, value: Buffer | null): void {
    this.#pending.set(key.toString('latin1'), { key, value });
  }

  /** The newest buffered write of a key: pending first, then taken writes, newest first. */
  #buffered(id: string): BufferedWrite | undefined {
    const pending = this.#pending.get(id);
    if (pending !== undefined) return pending;
    for (let i = this.#taken.length - 1; i >= 0; i--) {
      const taken = (this.#taken[i] as TakenWrites).writes.get(id);
      if (taken !== undefined) return taken;
    }
    return undefined;
  }

  #read(k: Buffer): Buffer | undefined {
    try {
      return this.#db.getSync(k);
    } catch (error) {
      throw this.#ioError(error, 'read');
    }
  }

  async *#iterate(from?: Buffer, to?: Buffer): AsyncGenerator<KeyValue<Buffer, Buffer>> {
    this.#assertOpen();
    // Both taken in one synchronous step: the iterator's implicit snapshot and the writes laid over it.
    const [low, high] = [from?.toString('latin1') ?? '', to?.toString('latin1')];
    const writes: [string, BufferedWrite][] = [];
    for (const layer of [...this.#taken.map((t) => t.writes), this.#pending]) {
      for (const [id, write] of layer)
        if (id >= low && (high === undefined || id <= high)) writes.push([id, write]);
    }
    const overlay = [...new Map(writes)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, w]) => w);
    const iterator = this.#db.iterator(
      to === undefined ? { gte: dataKey(from), lt: DATA_END } : { gte: dataKey(from), lte: dataKey(to) },
    );
    try {
      yield* overlaid(this.#chunks(iterator), overlay, () => this.#assertOpen());
    } finally {
      await iterator.close().catch(() => {});
    }
  }

  async *#chunks(iterator: Chunked): AsyncGenerator<KeyValue<Buffer, Buffer>> {
    for (;;) {
      let chunk: [Buffer, Buffer][];
      try {
        chunk = await iterator.nextv(CHUNK);
      } catch (error) {
        throw this.#ioError(error, 'read');
      }
      if (chunk.length === 0) return;
      for (const [key, value] of chunk) yield { key: key.subarray(DATA.length), value };
    }
  }

  #ioError(error: unknown, what: 'read' | 'write' | 'clear'): StoreError {
    if (!this.#open)
      return new StoreError('STORE_NOT_OPEN', `Store ${this.name} is not open`, { cause: error });
    return new StoreError('STORE_IO_FAILED', `Store ${this.name} could not ${what}`, { cause: error });
  }

  #assertOpen(): void {
    if (!this.#open) throw new StoreError('STORE_NOT_OPEN', `Store ${this.name} is not open`);
  }
}

/** Deletes data, count and checkpoint. LevelDB clears in several batches: the marker makes it resumable. */
async function deleteAll(db: Db): Promise<void> {
  await db.batch([
    { type: 'put', key: CLEARING_KEY, value: Buffer.alloc(0) },
    { type: 'del', key: CHECKPOINT_KEY },
    { type: 'del', key: COUNT_KEY },
  ]);
  await db.clear({ gte: DATA, lt: DATA_END });
  await db.del(CLEARING_KEY);
}

function dataKey(key: Buffer | undefined): Buffer {
  return key === undefined ? DATA : Buffer.concat([DATA, key]);
}

function int64(n: bigint): Buffer {
  const buffer = Buffer.allocUnsafe(8);
  buffer.writeBigInt64BE(n);
  return buffer;
}

function checkBuffer(x: Buffer, what: 'key' | 'value'): Buffer {
  if (Buffer.isBuffer(x)) return x;
  const type =
    x === null ? 'null' : typeof x === 'object' ? ((x as object).constructor?.name ?? 'object') : typeof x;
  throw new TypeError(`A ${what} must be a Buffer, got ${type}`);
}
