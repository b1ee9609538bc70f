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

  /** The largest record time this store has been told of; -1 before any. */
  get observedStreamTime(): number {
    const bytes = this.bytes.get(STREAM_TIME_KEY);
    return bytes === undefined ? -1 : readTime(bytes, 0);
  }

  /** Moves the store's stream time on to `time`, if later. */
  protected observeTime(time: number): void {
    if (time > this.observedStreamTime) this.inner.put(STREAM_TIME_KEY, encodeTime(time));
  }
}
