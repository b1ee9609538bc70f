import type { Serde } from '../serdes/index.js';
import type { BytesStore, KeyValue, KeyValueStore } from './key-value-store.js';
import { WrappedStore } from './wrapped-store.js';

/**
 * The top of a store stack: turns typed keys and values into bytes with the store's serdes, and counts
 * operations. Everything below it works on bytes.
 */
export class MeteredKeyValueStore<K, V> extends WrappedStore implements KeyValueStore<K, V> {
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  /** Operations by kind since the store was made: puts, gets, deletes. */
  readonly operations = { get: 0, put: 0, delete: 0 };
  // A processor usually reads a key and then writes it: serialize it once for both.
  #lastKey: K | undefined;
  #lastKeyBytes: Buffer | undefined;

  constructor(inner: BytesStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    super(inner);
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  #keyBytes(key: K): Buffer {
    if (this.#lastKeyBytes !== undefined && key === this.#lastKey) return this.#lastKeyBytes;
    const bytes = this.#keySerde.serialize(key);
    // Only a primitive key is remembered: an object could change between two calls and keep its identity.
    if (typeof key !== 'object' || key === null) {
      this.#lastKey = key;
      this.#lastKeyBytes = bytes;
    }
    return bytes;
  }

  get(key: K): V | undefined {
    this.operations.get += 1;
    const bytes = this.inner.get(this.#keyBytes(key));
    return bytes === undefined ? undefined : this.#valueSerde.deserialize(bytes);
  }

  put(key: K, value: V): void {
    if (value === undefined || value === null)
      throw new TypeError(`store ${this.name}: use delete() to remove a key`);
    this.operations.put += 1;
    this.inner.put(this.#keyBytes(key), this.#valueSerde.serialize(value));
  }

  putIfAbsent(key: K, value: V): V | undefined {
    if (value === undefined || value === null)
      throw new TypeError(`store ${this.name}: a value cannot be null`);
    this.operations.put += 1;
    const existing = this.inner.putIfAbsent(this.#keySerde.serialize(key), this.#valueSerde.serialize(value));
    return existing === undefined ? undefined : this.#valueSerde.deserialize(existing);
  }

  putAll(entries: Iterable<KeyValue<K, V>>): void {
    for (const { key, value } of entries) this.put(key, value);
  }

  delete(key: K): V | undefined {
    this.operations.delete += 1;
    const previous = this.inner.delete(this.#keyBytes(key));
    return previous === undefined ? undefined : this.#valueSerde.deserialize(previous);
  }

  range(from?: K, to?: K): AsyncIterable<KeyValue<K, V>> {
    const fromBytes = from === undefined ? undefined : this.#keySerde.serialize(from);
    const toBytes = to === undefined ? undefined : this.#keySerde.serialize(to);
    return this.#typed(this.inner.range(fromBytes, toBytes));
  }

  all(): AsyncIterable<KeyValue<K, V>> {
    return this.#typed(this.inner.all());
  }

  async *#typed(entries: AsyncIterable<KeyValue<Buffer, Buffer>>): AsyncGenerator<KeyValue<K, V>> {
    for await (const { key, value } of entries) {
      yield { key: this.#keySerde.deserialize(key), value: this.#valueSerde.deserialize(value) };
    }
  }

  approximateNumEntries(): number {
    return this.inner.approximateNumEntries();
  }
}
