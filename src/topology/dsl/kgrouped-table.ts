import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { KeyValueStore } from '../../stores/index.js';
import { Stores } from '../store-builder.js';
import type { Materialized } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import type { BuildContext } from './streams-builder.js';
import { type Change, changeSerde, tableAggregateProcessor } from './table-processors.js';

const NO_VALUE = Symbol('no value');

/**
 * A table regrouped by a new key (KTable.groupBy): every update reaches its group as the old value to take
 * away and the new one to add, so aggregations stay exact when a row changes group or leaves the table.
 */
export class KGroupedTable<K, V> {
  readonly #context: BuildContext;
  /** The node that reads the regrouped changes (after the repartition topic). */
  readonly #source: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;

  /** @internal made by KTable.groupBy */
  constructor(context: BuildContext, source: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#context = context;
    this.#source = source;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  /** @internal the serde of the changes sent through the repartition topic */
  static changeSerde<V>(valueSerde: Serde<V>): Serde<Change<V>> {
    return changeSerde(valueSerde);
  }

  /** Rows per group (Long values); a group with none left keeps its 0, as in Kafka Streams. */
  count(materialized?: Materialized<number>): KTable<K, number> {
    return this.#aggregate(
      () => 0,
      (_k, _v, n: number) => n + 1,
      (_k, _v, n: number) => n - 1,
      undefined,
      materialized,
      Serdes.Long(),
    );
  }

  /** Folds each group's rows with `adder`, and takes a row that left the group (or changed) away with `subtractor`. */
  aggregate<A>(
    initializer: () => A,
    adder: (key: K, value: V, aggregate: A) => A,
    subtractor: (key: K, value: V, aggregate: A) => A,
    materialized?: Materialized<A>,
  ): KTable<K, A> {
    return this.#aggregate(initializer, adder, subtractor, undefined, materialized, Serdes.Json<A>());
  }

  /**
   * Combines a group's rows with `adder`; `subtractor` takes a row away, and a group it answers null for
   * is deleted (as Kafka Streams' reduce: return null when the last row left).
   */
  reduce(
    adder: (aggregate: V, value: V) => V,
    subtractor: (aggregate: V, value: V) => V | null,
    materialized?: Materialized<V>,
  ): KTable<K, V> {
    const none = NO_VALUE as unknown as V;
    return this.#aggregate<V>(
      () => none,
      (_k, value, aggregate) => (aggregate === none ? value : adder(aggregate, value)),
      (_k, value, aggregate) => (aggregate === none ? none : (subtractor(aggregate, value) ?? none)),
      (aggregate) => aggregate === none,
      materialized,
      this.#valueSerde,
    );
  }

  #aggregate<A>(
    initializer: () => A,
    adder: (key: K, value: V, aggregate: A) => A,
    subtractor: (key: K, value: V, aggregate: A) => A,
    isEmpty: ((aggregate: A) => boolean) | undefined,
    materialized: Materialized<A> | undefined,
    defaultValueSerde: Serde<A>,
  ): KTable<K, A> {
    const name = this.#context.names.next('KTABLE-AGGREGATE');
    const storeName =
      (typeof materialized === 'string' ? materialized : materialized?.storeName) ??
      `KTABLE-AGGREGATE-STATE-STORE-${name.slice(-10)}`;
    const valueSerde = (typeof materialized === 'object' && materialized.valueSerde) || defaultValueSerde;
    const supplier = tableAggregateProcessor(storeName, initializer, adder, subtractor, isEmpty);
    this.#context.topology.addProcessor(name, supplier, this.#source);
    const store = Stores.keyValueStore({ name: storeName, keySerde: this.#keySerde, valueSerde });
    const persistent = typeof materialized === 'object' ? materialized.persistent : undefined;
    this.#context.topology.addStateStore(persistent === undefined ? store : { ...store, persistent }, name);
    return new KTable(this.#context, name, this.#keySerde, valueSerde, storeName, {
      storeNames: [storeName],
      get: (context) => {
        const held = context.getStateStore<KeyValueStore<K, A>>(storeName);
        return (key) => held.get(key);
      },
    });
  }
}
