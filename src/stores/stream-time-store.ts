import type { KeyValueStore, StateStore } from './key-value-store.js';
import { encodeTime, readTime, STREAM_TIME_KEY } from './window-layout.js';

/** The reads a windowed view needs of the bytes below it: a task's store stack, a standby's, a mirror. */
export type BytesReader = Pick<KeyValueStore<Buffer, Buffer>, 'get' | 'range'>;

/**
 * What window, session and suppression stores share: they lay their entries out in a key-value store of
 * bytes, and keep there the stream time they have observed, so that it is committed, logged and restored
 * with the data it governs. A view over a task's store stack is that stack as far as the store's life
 * goes; a read-only view (over a standby or a mirror) answers reads only.
 */
export abstract class StreamTimeStore implements StateStore {
  readonly name: string;
  protected readonly bytes: BytesReader;

  constructor(bytes: BytesReader, name: string) {
    this.bytes = bytes;
    this.name = name;
  }

  /** The store written to: a view made over a task's stack has one; a read-only view never writes. */
  protected get inner(): KeyValueStore<Buffer, Buffer> {
    return this.bytes as KeyValueStore<Buffer, Buffer>;
  }

  get persistent(): boolean {
    return this.inner.persistent === true;
  }

  get isOpen(): boolean {
    return this.inner.isOpen !== false;
  }

  flush(): Promise<void> {
    return this.inner.flush?.() ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }

  /**
   * The stream time as last read or written, in a store that the only writer of its bytes (a task's own
   * view): read for every record several times, it is otherwise a lookup through the whole store stack.
   * Undefined until read, and again after `forgetStreamTime`.
   */
  #remembered: number | undefined;
  #remembers = false;

  /** Keeps the stream time between reads: for the view a task writes through, never for a read-only one. */
  protected rememberStreamTime(): void {
    this.#remembers = true;
  }

  /** Reads the stream time from the bytes again next time: they changed below this view (a discard, a restore). */
  forgetStreamTime(): void {
    this.#remembered = undefined;
  }

  /** The largest record time this store has been told of; -1 before any. */
  get observedStreamTime(): number {
    if (this.#remembered !== undefined) return this.#remembered;
    const bytes = this.bytes.get(STREAM_TIME_KEY);
    const time = bytes === undefined ? -1 : readTime(bytes, 0);
    if (this.#remembers) this.#remembered = time;
    return time;
  }

  /** Moves the store's stream time on to `time`, if later. */
  protected observeTime(time: number): void {
    if (time <= this.observedStreamTime) return;
    this.inner.put(STREAM_TIME_KEY, encodeTime(time));
    if (this.#remembers) this.#remembered = time;
  }
}
