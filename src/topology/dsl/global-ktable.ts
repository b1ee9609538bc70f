import type { Serde } from '../../serdes/index.js';
import type { KeyValueStore } from '../../stores/index.js';
import type { ValueGetterSupplier } from './value-getter.js';

/**
 * A table every instance holds whole (`StreamsBuilder.globalTable`): a stream joins it on any key it
 * derives from its records (`KStream.join(globalTable, keySelector, joiner)`), with no co-partitioning and
 * no repartition. Suits small reference tables. It is read-only here: it changes only through its topic.
 */
export class GlobalKTable<K, V> {
  readonly topic: string;
  /** The store every instance keeps of it (readable by any processor with getStateStore). */
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;

  constructor(topic: string, storeName: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.topic = topic;
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** @internal How a join looks a key up: in the global store, which needs no connection. */
  get valueGetter(): ValueGetterSupplier<K, V> {
    const storeName = this.storeName;
    return {
      storeNames: [],
      get: (context) => {
        // A global store is read-only to processors (only its topic changes it): get is all a join needs.
        const store = context.getStateStore<KeyValueStore<K, V>>(storeName);
        return (key) => store.get(key);
      },
    };
  }
}
