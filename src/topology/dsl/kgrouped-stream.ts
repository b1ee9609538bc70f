import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import { Stores } from '../store-builder.js';
import type { KStream } from './kstream.js';
import { KTable } from './ktable.js';
import { aggregateProcessor } from './processors.js';
import type { BuildContext } from './streams-builder.js';
import { SessionWindowedKStream, TimeWindowedKStream } from './windowed-kstream.js';
import { SessionWindows, type SlidingWindows, type TimeWindows } from './windows.js';

/**
 * Where an aggregation keeps its result: a named store, optionally with its value serde, and in memory
 * instead of LevelDB when `persistent` is false.
 */
export type Materialized<V> =
  | string
  | {
      readonly storeName: string;
      readonly valueSerde?: Serde<V>;
      readonly persistent?: boolean;
      /**
       * Windowed aggregations: how long windows are kept; default (and least) their size plus grace (sliding
       * windows: twice the time difference plus grace plus 2 ms; sessions: the gap plus grace).
       */
      readonly retentionMs?: number;
    };

/** A stream grouped by key, ready to aggregate into a table. */
export class KGroupedStream<K, V> {
  readonly #context: BuildContext;
  readonly #stream: KStream<K, V>;
  readonly #repartitionName: string | undefined;

  /** @internal made by KStream.groupByKey / groupBy */
  constructor(context: BuildContext, stream: KStream<K, V>, repartitionName?: string) {
    this.#context = context;
    this.#stream = stream;
    this.#repartitionName = repartitionName;
  }

  /** @internal the key serde grouped by */
  get keySerde(): Serde<K> {
    return this.#stream.keySerde;
  }

  /** @internal the value serde of the grouped records */
  get valueSerde(): Serde<V> {
    return this.#stream.valueSerde;
  }

  /** @internal the stream to aggregate: repartitioned first when an earlier operation changed the key */
  input(storeName: string): KStream<K, V> {
    return this.#stream.repartitionRequired
      ? this.#stream.repartition(this.#repartitionName ?? storeName)
      : this.#stream;
  }

  /** Aggregates per time window (tumbling, hopping or sliding) or per session of activity. */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows,
  ): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    return windows instanceof SessionWindows
      ? new SessionWindowedKStream(this.#context, this, windows)
      : new TimeWindowedKStream(this.#context, this, windows);
  }

  /** Counts records per key (Long values, readable by Kafka's Java tools). */
  count(materialized?: Materialized<number>): KTable<K, number> {
    const spec =
      typeof materialized === 'object'
        ? { ...materialized, valueSerde: materialized.valueSerde ?? Serdes.Long() }
        : materialized;
    return this.#aggregate(
      'KSTREAM-AGGREGATE',
      () => 0,
      (_key, _value, count: number) => count + 1,
      spec ?? undefined,
      Serdes.Long(),
    );
  }

  /** Combines the values of a key with `reducer`; the first value of a key is its first aggregate. */
  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<V>): KTable<K, V> {
    const initial = Symbol('no value yet');
    // The sentinel stands in for "no aggregate yet" and never reaches the store: the first value replaces it.
    return this.#aggregate<V>(
      'KSTREAM-REDUCE',
      () => initial as unknown as V,
      (_key, value, aggregate) => ((aggregate as unknown) === initial ? value : reducer(aggregate, value)),
      materialized,
      this.#stream.valueSerde,
    );
  }

  /** Folds the values of each key into an aggregate, starting from `initializer()`. */
  aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    materialized: Materialized<A>,
  ): KTable<K, A> {
    return this.#aggregate('KSTREAM-AGGREGATE', initializer, aggregator, materialized, Serdes.Json<A>());
  }

  #aggregate<A>(
    prefix: string,
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    materialized: Materialized<A> | undefined,
    defaultValueSerde: Serde<A>,
  ): KTable<K, A> {
    const name = this.#context.names.next(prefix);
    const storeName =
      (typeof materialized === 'string' ? materialized : materialized?.storeName) ??
      `${prefix}-STATE-STORE-${name.slice(-10)}`;
    const valueSerde = (typeof materialized === 'object' && materialized.valueSerde) || defaultValueSerde;
    const input = this.input(storeName);
    const topology = this.#context.topology;
    topology.addProcessor(name, aggregateProcessor(storeName, initializer, aggregator), input.nodeName);
    const persistent = typeof materialized === 'object' ? materialized.persistent : undefined;
    const store = Stores.keyValueStore({ name: storeName, keySerde: this.#stream.keySerde, valueSerde });
    topology.addStateStore(persistent === undefined ? store : { ...store, persistent }, name);
    return new KTable(this.#context, name, this.#stream.keySerde, valueSerde, storeName, {
      storeNames: [storeName],
      get: (context) => {
        const store = context.getStateStore<import('../../stores/index.js').KeyValueStore<K, A>>(storeName);
        return (key) => store.get(key);
      },
    });
  }
}
