/**
 * The query mirror of a worker-thread engine: the worker writes what its active tasks' stores hold, and
 * every write to them, as a stream of operations in one binary buffer per event-loop turn; the parent
 * thread applies them to an in-memory copy and answers key lookups from it without waiting for the worker.
 *
 * One copy per (store, partition), as one active task holds it. A copy starts with BEGIN, is filled by
 * SNAPSHOT entries read from the task's stores and is usable from END on. Writes (PUT, DELETE) apply as
 * they come; a SNAPSHOT entry of a key written after BEGIN is older than that write and is skipped (the
 * snapshot reads a store while the task goes on processing). DROP ends a copy; RESET ends them all.
 *
 * Layout of an operation: op (u8), store index (u16), partition (u32); then, for PUT and SNAPSHOT, key
 * length (u32), key, value length (u32), value; for DELETE, key length and key. Store indexes are
 * positions in `mirrorStoreNames(topology)`, which both threads compute from the same topology.
 */

import type { Topology } from '../../topology.js';

const OP = { begin: 1, put: 2, delete: 3, snapshot: 4, end: 5, drop: 6, reset: 7 } as const;

/** The stores of a topology in a fixed order: the mirror's store indexes. */
export function mirrorStoreNames(topology: Topology): string[] {
  return topology
    .subtopologies()
    .flatMap((sub) => sub.stores.map((builder) => builder.name))
    .sort();
}

const INITIAL_BYTES = 64 * 1024;

/** Collects operations in order; `take` hands them over as one transferable buffer. */
export class MirrorWriter {
  #buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  #length = 0;

  get empty(): boolean {
    return this.#length === 0;
  }

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  #head(op: number, store: number, partition: number, extra: number): void {
    this.#reserve(7 + extra);
    this.#buffer.writeUInt8(op, this.#length);
    this.#buffer.writeUInt16LE(store, this.#length + 1);
    this.#buffer.writeUInt32LE(partition, this.#length + 3);
    this.#length += 7;
  }

  #bytes(bytes: Buffer): void {
    this.#buffer.writeUInt32LE(bytes.length, this.#length);
    bytes.copy(this.#buffer, this.#length + 4);
    this.#length += 4 + bytes.length;
  }

  begin(store: number, partition: number): void {
    this.#head(OP.begin, store, partition, 0);
  }

  end(store: number, partition: number): void {
    this.#head(OP.end, store, partition, 0);
  }

  drop(store: number, partition: number): void {
    this.#head(OP.drop, store, partition, 0);
  }

  reset(): void {
    this.#head(OP.reset, 0, 0, 0);
  }

  /** A write; value undefined for a delete. */
  write(store: number, partition: number, key: Buffer, value: Buffer | undefined): void {
    if (value === undefined) {
      this.#head(OP.delete, store, partition, 4 + key.length);
      this.#bytes(key);
      return;
    }
    this.#head(OP.put, store, partition, 8 + key.length + value.length);
    this.#bytes(key);
    this.#bytes(value);
  }

  snapshot(store: number, partition: number, key: Buffer, value: Buffer): void {
    this.#head(OP.snapshot, store, partition, 8 + key.length + value.length);
    this.#bytes(key);
    this.#bytes(value);
  }

  /** The operations written since the last take, in a buffer of their own (to transfer), or undefined. */
  take(): ArrayBuffer | undefined {
    if (this.#length === 0) return undefined;
    const out = new ArrayBuffer(this.#length);
    new Uint8Array(out).set(this.#buffer.subarray(0, this.#length));
    this.#length = 0;
    // A snapshot of a large store grows the buffer; give the memory back once it has been sent.
    if (this.#buffer.length > 16 * INITIAL_BYTES) this.#buffer = Buffer.allocUnsafe(INITIAL_BYTES);
    return out;
  }
}

class MirrorCopy {
  readonly entries = new Map<string, Buffer>();
  /** Keys written since BEGIN, until END: their SNAPSHOT entries are older and skipped. */
  written: Set<string> | undefined = new Set();

  get complete(): boolean {
    return this.written === undefined;
  }
}

/** What the mirror holds for a key: `here` false when no complete copy of its partition is here. */
export type MirrorLookup =
  | { readonly here: false }
  | { readonly here: true; readonly value: Buffer | undefined };

/** The parent thread's copy of the worker's active stores. */
export class StoreMirror {
  readonly #index: ReadonlyMap<string, number>;
  readonly #copies = new Map<number, MirrorCopy>();

  constructor(storeNames: readonly string[]) {
    this.#index = new Map(storeNames.map((name, i) => [name, i]));
  }

  #id(store: number, partition: number): number {
    return partition * 65_536 + store;
  }

  /** Applies a buffer of operations from MirrorWriter.take. */
  apply(operations: ArrayBuffer): void {
    const bytes = Buffer.from(operations);
    let at = 0;
    const read = (): Buffer => {
      const length = bytes.readUInt32LE(at);
      // A copy of its own: a subarray would keep the whole buffer alive as long as one value lives.
      const out = Buffer.from(Uint8Array.prototype.slice.call(bytes, at + 4, at + 4 + length));
      at += 4 + length;
      return out;
    };
    while (at < bytes.length) {
      const op = bytes.readUInt8(at);
      const id = this.#id(bytes.readUInt16LE(at + 1), bytes.readUInt32LE(at + 3));
      at += 7;
      switch (op) {
        case OP.begin:
          this.#copies.set(id, new MirrorCopy());
          break;
        case OP.put:
        case OP.snapshot: {
          const key = read().toString('latin1');
          const value = read();
          const copy = this.#copies.get(id);
          if (!copy) break;
          if (op === OP.put) {
            copy.entries.set(key, value);
            copy.written?.add(key);
          } else if (!copy.written?.has(key)) copy.entries.set(key, value);
          break;
        }
        case OP.delete: {
          const key = read().toString('latin1');
          const copy = this.#copies.get(id);
          copy?.entries.delete(key);
          copy?.written?.add(key);
          break;
        }
        case OP.end: {
          const copy = this.#copies.get(id);
          if (copy) copy.written = undefined;
          break;
        }
        case OP.drop:
          this.#copies.delete(id);
          break;
        case OP.reset:
          this.#copies.clear();
          break;
        default:
          throw new Error(`mirror operation ${op} at byte ${at - 7} is unknown: a bug`);
      }
    }
  }

  /** A key of a store partition, from its complete copy here. */
  get(store: string, partition: number, key: Buffer): MirrorLookup {
    const index = this.#index.get(store);
    const copy = index === undefined ? undefined : this.#copies.get(this.#id(index, partition));
    if (!copy?.complete) return { here: false };
    return { here: true, value: copy.entries.get(key.toString('latin1')) };
  }

  /**
   * The entries of a store partition's complete copy here (keys as latin1 strings of their bytes, values
   * serialized), or undefined when there is none. Live: what `apply` does later shows in it (and a copy
   * dropped later stays as it was).
   */
  copy(store: string, partition: number): ReadonlyMap<string, Buffer> | undefined {
    const index = this.#index.get(store);
    const copy = index === undefined ? undefined : this.#copies.get(this.#id(index, partition));
    return copy?.complete ? copy.entries : undefined;
  }

  /** Entries held for a store, over its complete copies. */
  size(store: string): number {
    const index = this.#index.get(store);
    let total = 0;
    for (const [id, copy] of this.#copies)
      if (id % 65_536 === index && copy.complete) total += copy.entries.size;
    return total;
  }

  /** Forgets everything (the worker stopped). */
  clear(): void {
    this.#copies.clear();
  }
}
