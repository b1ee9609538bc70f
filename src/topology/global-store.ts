import type { Serde } from '../serdes/index.js';
import {
  InMemoryKeyValueStore,
  type KeyValue,
  MeteredKeyValueStore,
  type ReadOnlyKeyValueStore,
} from '../stores/index.js';

/**
 * A global store (`StreamsBuilder.globalTable`): every instance holds the whole of its topic, every
 * partition, so any task may read any key of it with no co-partitioning and no repartition.
 */
export interface GlobalStoreSpec<K = unknown, V = unknown> {
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
}

/**
 * A global store's contents on one instance, in memory: rebuilt from its topic at every start (global
 * tables are small reference data: watch lists, device names), then kept current as records arrive.
 */
export class GlobalStore {
  readonly spec: GlobalStoreSpec;
  readonly #bytes: InMemoryKeyValueStore;
  readonly #typed: MeteredKeyValueStore<unknown, unknown>;
  /** Records passed over because their value could not be read (they would throw at every lookup). */
  unreadable = 0;

  constructor(spec: GlobalStoreSpec) {
    this.spec = spec;
    this.#bytes = new InMemoryKeyValueStore(spec.name);
    this.#typed = new MeteredKeyValueStore(this.#bytes, spec.keySerde, spec.valueSerde);
  }

  /** Applies one record of the topic: a null value deletes the key; a null key is no entry. */
  apply(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    if (value === null) {
      this.#bytes.delete(key);
      return;
    }
    try {
      this.spec.valueSerde.deserialize(value, this.spec.topic);
    } catch {
      this.unreadable += 1;
      return;
    }
    this.#bytes.put(key, value);
  }

  /** The store as processors and queries read it: reads only, since only its topic may change it. */
  readonly view: ReadOnlyKeyValueStore<unknown, unknown> = {
    get: (key) => this.#typed.get(key),
    range: (from, to) => this.#typed.range(from, to),
    all: () => this.#typed.all(),
    approximateNumEntries: () => this.#typed.approximateNumEntries(),
  };

  entries(): AsyncIterable<KeyValue<unknown, unknown>> {
    return this.#typed.all();
  }

  close(): Promise<void> {
    return this.#bytes.close();
  }
}
