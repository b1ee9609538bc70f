import type { BytesStore, KeyValue, StateStore } from './key-value-store.js';

/**
 * What every decorator in a store stack shares: it answers for the store below it as far as the name, the
 * kind, the open state, flush and close go. A layer overrides what it changes.
 */
export abstract class WrappedStore implements StateStore {
  /** The store below this layer. */
  readonly inner: BytesStore;

  constructor(inner: BytesStore) {
    this.inner = inner;
  }

  get name(): string {
    return this.inner.name;
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A layer that hands every operation to the store below; a decorator overrides the ones it changes. */
export abstract class ForwardingStore extends WrappedStore implements BytesStore {
  get(key: Buffer): Buffer | undefined {
    return this.inner.get(key);
  }

  put(key: Buffer, value: Buffer): void {
    this.inner.put(key, value);
  }

  putIfAbsent(key: Buffer, value: Buffer): Buffer | undefined {
    return this.inner.putIfAbsent(key, value);
  }

  putAll(entries: Iterable<KeyValue<Buffer, Buffer>>): void {
    this.inner.putAll(entries);
  }

  delete(key: Buffer): Buffer | undefined {
    return this.inner.delete(key);
  }

  range(from?: Buffer, to?: Buffer): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.inner.range(from, to);
  }

  all(): AsyncIterable<KeyValue<Buffer, Buffer>> {
    return this.inner.all();
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
}
