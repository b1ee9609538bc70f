import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { SessionStore, StateStore, Windowed, WindowStore } from '../../stores/index.js';
import type { ProcessorContext, ProcessorSupplier } from '../processor.js';
import { type StoreBuilder, Stores } from '../store-builder.js';
import { WindowedSerdes } from '../windowed-serdes.js';
import type { KGroupedStream, Materialized } from './kgrouped-stream.js';
import { KTable } from './ktable.js';
import { slidingWindowAggregateProcessor } from './sliding-window-processor.js';
import type { BuildContext } from './streams-builder.js';
import { sessionAggregateProcessor, windowAggregateProcessor } from './windowed-processors.js';
import { type SessionWindows, SlidingWindows, type TimeWindows } from './windows.js';

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

/** What differs between a time-windowed and a session-windowed aggregation's table. */
interface WindowedTableSpec<K, A> {
  /** The least retention, size (gap) plus grace, and how to say it. */
  readonly minimumRetentionMs: number;
  readonly minimumIs: string;
  readonly makeStore: (name: string, valueSerde: Serde<A>, retentionMs: number) => StoreBuilder;
  readonly supplier: (storeName: string) => ProcessorSupplier;
  readonly keySerde: Serde<Windowed<K>>;
  /** Looks a windowed key up in the store, for joins. */
  readonly lookup: (store: StateStore) => (windowed: Windowed<K>) => A | undefined;
  /** How long after a window's end it closes, for suppress. */
  readonly closeAfterMs: number;
}

/** Names the store, adds the processor and the store, and makes the windowed table. */
function windowedTable<K, A>(
  context: BuildContext,
  grouped: KGroupedStream<unknown, unknown>,
  aggregation: Aggregation<A>,
  spec: WindowedTableSpec<K, A>,
): KTable<Windowed<K>, A> {
  const { prefix, materialized } = aggregation;
  const name = context.names.next(prefix);
  const storeName =
    (typeof materialized === 'string' ? materialized : materialized?.storeName) ??
    `${prefix}-STATE-STORE-${name.slice(-10)}`;
  const valueSerde =
    (typeof materialized === 'object' && materialized.valueSerde) || aggregation.defaultValueSerde;
  const options: { retentionMs?: number; persistent?: boolean } =
    typeof materialized === 'object' ? materialized : {};
  const retentionMs = options.retentionMs ?? spec.minimumRetentionMs;
  if (retentionMs < spec.minimumRetentionMs)
    throw new TypeError(
      `store ${storeName}: retention ${retentionMs} ms is less than ${spec.minimumIs} (${spec.minimumRetentionMs} ms)`,
    );
  const input = grouped.input(storeName);
  context.topology.addProcessor(name, spec.supplier(storeName), input.nodeName);
  const store = spec.makeStore(storeName, valueSerde, retentionMs);
  context.topology.addStateStore(
    options.persistent === undefined ? store : { ...store, persistent: options.persistent },
    name,
  );
  const getter = {
    storeNames: [storeName],
    get: (processorContext: ProcessorContext<unknown, unknown>) =>
      spec.lookup(processorContext.getStateStore(storeName)),
  };
  return new KTable(context, name, spec.keySerde, valueSerde, storeName, getter, spec.closeAfterMs);
}

/**
 * The table spec of sliding windows. Retention is at least twice the time difference plus grace plus 2 ms:
 * a record within grace reads the window that ends just before its own left window starts, to learn the
 * record before it, and every window it may still write must be live.
 */
function slidingSpec<K, V, A>(
  windows: SlidingWindows,
  keySerde: Serde<K>,
  initializer: () => A,
  aggregator: (key: K, value: V, aggregate: A) => A,
): WindowedTableSpec<K, A> {
  const diff = windows.timeDifferenceMs;
  return {
    minimumRetentionMs: 2 * diff + windows.graceMs + 2,
    minimumIs: 'twice the time difference plus grace plus 2 ms',
    makeStore: (name, valueSerde, retentionMs) =>
      Stores.windowStore({ name, keySerde, valueSerde, retentionMs, windowSizeMs: diff, sliding: true }),
    supplier: (storeName) =>
      slidingWindowAggregateProcessor(storeName, windows, initializer, aggregator) as ProcessorSupplier,
    keySerde: WindowedSerdes.timeWindowed(keySerde, diff),
    lookup: (store) => (windowed) => (store as WindowStore<K, A>).fetch(windowed.key, windowed.window.start),
    // Both ends are inclusive: a window closes once stream time is past its end plus grace.
    closeAfterMs: windows.graceMs + 1,
  };
}

/**
 * A grouped stream cut into time windows (tumbling, hopping or sliding): aggregations give a table keyed by
 * key and window.
 */
export class TimeWindowedKStream<K, V> {
  readonly #context: BuildContext;
  readonly #grouped: KGroupedStream<K, V>;
  readonly #windows: TimeWindows | SlidingWindows;

  /** @internal made by KGroupedStream.windowedBy */
  constructor(context: BuildContext, grouped: KGroupedStream<K, V>, windows: TimeWindows | SlidingWindows) {
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
    aggregation: Aggregation<A>,
  ): KTable<Windowed<K>, A> {
    const windows = this.#windows;
    const keySerde = this.#grouped.keySerde;
    const grouped = this.#grouped as KGroupedStream<unknown, unknown>;
    if (windows instanceof SlidingWindows)
      return windowedTable<K, A>(
        this.#context,
        grouped,
        aggregation,
        slidingSpec(windows, keySerde, initializer, aggregator),
      );
    return windowedTable<K, A>(this.#context, grouped, aggregation, {
      minimumRetentionMs: windows.sizeMs + windows.graceMs,
      minimumIs: 'size plus grace',
      makeStore: (name, valueSerde, retentionMs) =>
        Stores.windowStore({ name, keySerde, valueSerde, retentionMs, windowSizeMs: windows.sizeMs }),
      supplier: (storeName) =>
        windowAggregateProcessor(storeName, windows, initializer, aggregator) as ProcessorSupplier,
      keySerde: WindowedSerdes.timeWindowed(keySerde, windows.sizeMs),
      lookup: (store) => (windowed) =>
        (store as WindowStore<K, A>).fetch(windowed.key, windowed.window.start),
      closeAfterMs: windows.graceMs,
    });
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
    aggregation: Aggregation<A>,
  ): KTable<Windowed<K>, A> {
    const windows = this.#windows;
    const keySerde = this.#grouped.keySerde;
    return windowedTable<K, A>(
      this.#context,
      this.#grouped as KGroupedStream<unknown, unknown>,
      aggregation,
      {
        minimumRetentionMs: windows.inactivityGapMs + windows.graceMs,
        minimumIs: 'gap plus grace',
        makeStore: (name, valueSerde, retentionMs) =>
          Stores.sessionStore({ name, keySerde, valueSerde, retentionMs }),
        supplier: (storeName) =>
          sessionAggregateProcessor(storeName, windows, initializer, aggregator, merger) as ProcessorSupplier,
        keySerde: WindowedSerdes.sessionWindowed(keySerde),
        lookup: (store) => (windowed) =>
          (store as SessionStore<K, A>).fetchSession(
            windowed.key,
            windowed.window.start,
            windowed.window.end,
          ),
        closeAfterMs: windows.inactivityGapMs + windows.graceMs,
      },
    );
  }
}
