import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { SessionStore, Windowed, WindowStore } from '../../stores/index.js';
import type { ProcessorSupplier } from '../processor.js';
import { type StoreBuilder, Stores } from '../store-builder.js';
import { WindowedSerdes } from '../windowed-serdes.js';
import type { KGroupedStream, Materialized } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import type { BuildContext } from './streams-builder.js';
import { sessionAggregateProcessor, windowAggregateProcessor } from './windowed-processors.js';
import type { SessionWindows, TimeWindows } from './windows.js';

interface Aggregation<A> {
  readonly prefix: string;
  readonly materialized: Materialized<A> | undefined;
  readonly defaultValueSerde: Serde<A>;
}

const NO_VALUE = Symbol('no value yet');

/** The reducer as an aggregator: the first value of a window (a session) is its first aggregate. */
function reducing<K, V>(
  reducer: (aggregate: V, value: V) => V,
): [() => V, (key: K, value: V, aggregate: V) => V] {
  return [
    () => NO_VALUE as unknown as V,
    (_key, value, aggregate) => ((aggregate as unknown) === NO_VALUE ? value : reducer(aggregate, value)),
  ];
}

/** Names the store, adds the processor and the store, and answers the materialized spec's parts. */
function materialize<A>(
  context: BuildContext,
  grouped: KGroupedStream<unknown, unknown>,
  spec: Aggregation<A>,
  makeStore: (name: string, valueSerde: Serde<A>, retentionMs: number | undefined) => StoreBuilder,
  supplier: (storeName: string) => ProcessorSupplier,
): { name: string; storeName: string; valueSerde: Serde<A> } {
  const { prefix, materialized } = spec;
  const name = context.names.next(prefix);
  const storeName =
    (typeof materialized === 'string' ? materialized : materialized?.storeName) ??
    `${prefix}-STATE-STORE-${name.slice(-10)}`;
  const valueSerde = (typeof materialized === 'object' && materialized.valueSerde) || spec.defaultValueSerde;
  const options: { retentionMs?: number; persistent?: boolean } =
    typeof materialized === 'object' ? materialized : {};
  const input = grouped.input(storeName);
  context.topology.addProcessor(name, supplier(storeName), input.nodeName);
  const store = makeStore(storeName, valueSerde, options.retentionMs);
  context.topology.addStateStore(
    options.persistent === undefined ? store : { ...store, persistent: options.persistent },
    name,
  );
  return { name, storeName, valueSerde };
}

/** A grouped stream cut into time windows: aggregations give a table keyed by key and window. */
export class TimeWindowedKStream<K, V> {
  readonly #context: BuildContext;
  readonly #grouped: KGroupedStream<K, V>;
  readonly #windows: TimeWindows;

  /** @internal made by KGroupedStream.windowedBy */
  constructor(context: BuildContext, grouped: KGroupedStream<K, V>, windows: TimeWindows) {
    this.#context = context;
    this.#grouped = grouped;
    this.#windows = windows;
  }

  /** Counts each key's records per window (Long values). */
  count(materialized?: Materialized<number>): KTable<Windowed<K>, number> {
    return this.#aggregate(
      () => 0,
      (_k, _v, n: number) => n + 1,
      {
        prefix: 'KSTREAM-AGGREGATE',
        materialized,
        defaultValueSerde: Serdes.Long(),
      },
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<V>): KTable<Windowed<K>, V> {
    const [initializer, aggregator] = reducing<K, V>(reducer);
    return this.#aggregate(initializer, aggregator, {
      prefix: 'KSTREAM-REDUCE',
      materialized,
      defaultValueSerde: this.#grouped.valueSerde,
    });
  }

  aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    materialized?: Materialized<A>,
  ): KTable<Windowed<K>, A> {
    return this.#aggregate(initializer, aggregator, {
      prefix: 'KSTREAM-AGGREGATE',
      materialized,
      defaultValueSerde: Serdes.Json<A>(),
    });
  }

  #aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    spec: Aggregation<A>,
  ): KTable<Windowed<K>, A> {
    const windows = this.#windows;
    const keySerde = this.#grouped.keySerde;
    const minimum = windows.sizeMs + windows.graceMs;
    const { name, storeName, valueSerde } = materialize(
      this.#context,
      this.#grouped as KGroupedStream<unknown, unknown>,
      spec,
      (storeName, valueSerde, retentionMs) => {
        if (retentionMs !== undefined && retentionMs < minimum)
          throw new TypeError(
            `store ${storeName}: retention ${retentionMs} ms is less than size plus grace (${minimum} ms)`,
          );
        return Stores.windowStore({
          name: storeName,
          keySerde,
          valueSerde,
          retentionMs: retentionMs ?? minimum,
          windowSizeMs: windows.sizeMs,
        });
      },
      (storeName) =>
        windowAggregateProcessor(storeName, windows, initializer, aggregator) as ProcessorSupplier,
    );
    const windowedSerde = WindowedSerdes.timeWindowed(keySerde, windows.sizeMs);
    return new KTable(
      this.#context,
      name,
      windowedSerde,
      valueSerde,
      storeName,
      {
        storeNames: [storeName],
        get: (context) => {
          const store = context.getStateStore<WindowStore<K, A>>(storeName);
          return (windowed) => store.fetch(windowed.key, windowed.window.start);
        },
      },
      windows.graceMs,
    );
  }
}

/** A grouped stream cut into sessions: aggregations give a table keyed by key and session. */
export class SessionWindowedKStream<K, V> {
  readonly #context: BuildContext;
  readonly #grouped: KGroupedStream<K, V>;
  readonly #windows: SessionWindows;

  /** @internal made by KGroupedStream.windowedBy */
  constructor(context: BuildContext, grouped: KGroupedStream<K, V>, windows: SessionWindows) {
    this.#context = context;
    this.#grouped = grouped;
    this.#windows = windows;
  }

  count(materialized?: Materialized<number>): KTable<Windowed<K>, number> {
    return this.#aggregate(
      () => 0,
      (_k, _v, n: number) => n + 1,
      (_k, a, b) => a + b,
      {
        prefix: 'KSTREAM-AGGREGATE',
        materialized,
        defaultValueSerde: Serdes.Long(),
      },
    );
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<V>): KTable<Windowed<K>, V> {
    const [initializer, aggregator] = reducing<K, V>(reducer);
    const merger = (_key: K, left: V, right: V) =>
      (left as unknown) === NO_VALUE ? right : reducer(left, right);
    return this.#aggregate(initializer, aggregator, merger, {
      prefix: 'KSTREAM-REDUCE',
      materialized,
      defaultValueSerde: this.#grouped.valueSerde,
    });
  }

  /** `merger` combines the aggregates of two sessions that a record joins into one. */
  aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    merger: (key: K, left: A, right: A) => A,
    materialized?: Materialized<A>,
  ): KTable<Windowed<K>, A> {
    return this.#aggregate(initializer, aggregator, merger, {
      prefix: 'KSTREAM-AGGREGATE',
      materialized,
      defaultValueSerde: Serdes.Json<A>(),
    });
  }

  #aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, aggregate: A) => A,
    merger: (key: K, left: A, right: A) => A,
    spec: Aggregation<A>,
  ): KTable<Windowed<K>, A> {
    const windows = this.#windows;
    const keySerde = this.#grouped.keySerde;
    const minimum = windows.inactivityGapMs + windows.graceMs;
    const { name, storeName, valueSerde } = materialize(
      this.#context,
      this.#grouped as KGroupedStream<unknown, unknown>,
      spec,
      (storeName, valueSerde, retentionMs) => {
        if (retentionMs !== undefined && retentionMs < minimum)
          throw new TypeError(
            `store ${storeName}: retention ${retentionMs} ms is less than gap plus grace (${minimum} ms)`,
          );
        return Stores.sessionStore({
          name: storeName,
          keySerde,
          valueSerde,
          retentionMs: retentionMs ?? minimum,
        });
      },
      (storeName) =>
        sessionAggregateProcessor(storeName, windows, initializer, aggregator, merger) as ProcessorSupplier,
    );
    return new KTable(
      this.#context,
      name,
      WindowedSerdes.sessionWindowed(keySerde),
      valueSerde,
      storeName,
      {
        storeNames: [storeName],
        get: (context) => {
          const store = context.getStateStore<SessionStore<K, A>>(storeName);
          return (windowed) => store.fetchSession(windowed.key, windowed.window.start, windowed.window.end);
        },
      },
      windows.inactivityGapMs + windows.graceMs,
    );
  }
}
