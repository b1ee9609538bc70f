import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import {
  type BytesReader,
  type KeyValueStore,
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  SessionStore,
  SlidingWindowStore,
  type StateStore,
  SuppressionBuffer,
  WindowStore,
} from '../../stores/index.js';
import type { StoreBuilder } from '../store-builder.js';

/**
 * A store as processors see it. `expire` is what the task runs before each commit: windowed stores drop what
 * retention has expired, a suppression buffer hands over what has come due.
 */
export type StoreView = StateStore & {
  expire?(): Promise<number>;
  /** A windowed view's stream time is read again from its bytes (they changed below it). */
  forgetStreamTime?(): void;
};

/** The serdes of a store stack's top layer: the builder's, or bytes for a windowed store's own layout. */
export function stackSerdes(builder: StoreBuilder): [Serde<unknown>, Serde<unknown>] {
  if ((builder.type ?? 'keyValue') === 'keyValue') return [builder.keySerde, builder.valueSerde];
  return [Serdes.Buffer() as Serde<unknown>, Serdes.Buffer() as Serde<unknown>];
}

/** What `getStateStore` answers for a store: its stack's top, or a window or session store over it. */
export function storeView(builder: StoreBuilder, top: KeyValueStore<unknown, unknown>): StoreView {
  const bytes = top as unknown as KeyValueStore<Buffer, Buffer>;
  const base = { name: builder.name, keySerde: builder.keySerde, valueSerde: builder.valueSerde };
  if (builder.type === 'window') {
    const options = {
      ...base,
      retentionMs: builder.retentionMs as number,
      windowSizeMs: builder.windowSizeMs as number,
    };
    return builder.sliding ? new SlidingWindowStore(bytes, options) : new WindowStore(bytes, options);
  }
  if (builder.type === 'session')
    return new SessionStore(bytes, { ...base, retentionMs: builder.retentionMs as number });
  if (builder.type === 'suppression') return new SuppressionBuffer(bytes, builder.name);
  return top;
}

/** A read-only window store over any copy of the store's bytes (an active task, a standby, a mirror). */
export function readOnlyWindowStore<K, V>(
  builder: StoreBuilder,
  bytes: BytesReader,
): ReadOnlyWindowStore<K, V> {
  if (builder.type !== 'window') throw new TypeError(`store ${builder.name} is not a window store`);
  return new ReadOnlyWindowStore(bytes, {
    name: builder.name,
    keySerde: builder.keySerde as Serde<K>,
    valueSerde: builder.valueSerde as Serde<V>,
    retentionMs: builder.retentionMs as number,
    windowSizeMs: builder.windowSizeMs as number,
  });
}

/** A read-only session store over any copy of the store's bytes. */
export function readOnlySessionStore<K, V>(
  builder: StoreBuilder,
  bytes: BytesReader,
): ReadOnlySessionStore<K, V> {
  if (builder.type !== 'session') throw new TypeError(`store ${builder.name} is not a session store`);
  return new ReadOnlySessionStore(bytes, {
    name: builder.name,
    keySerde: builder.keySerde as Serde<K>,
    valueSerde: builder.valueSerde as Serde<V>,
    retentionMs: builder.retentionMs as number,
  });
}
