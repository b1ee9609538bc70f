import type { BytesStore, StateStore } from './key-value-store.js';

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
