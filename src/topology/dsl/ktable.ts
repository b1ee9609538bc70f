import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { Windowed } from '../../stores/index.js';
import { Stores } from '../store-builder.js';
import { defaultSerde } from './default-serde.js';
import { type ForeignKeyJoined, foreignKeyJoin } from './foreign-key-join.js';
import type { Materialized } from './kgrouped-stream.js';
import type { KGroupedTable } from './kgrouped-table.js';
import { type Grouped, KStream } from './kstream.js';
import { passThroughProcessor, tableFilterProcessor, tableMapValuesProcessor } from './processors.js';
import type { BuildContext } from './streams-builder.js';
import { type Suppressed, suppressProcessor } from './suppressed.js';
import { joinTables, regroupTable, storeGetter } from './table-operations.js';
import { tableMapValuesToStoreProcessor } from './table-processors.js';
import type { ValueGetterSupplier } from './value-getter.js';

/**
 * A table: the latest value per key. Its updates flow downstream as records whose value is the new value,
 * or null when the key was deleted (or filtered out).
 */
export class KTable<K, V> {
  readonly #context: BuildContext;
  /** @internal */
  readonly nodeName: string;
  /** @internal */
  readonly keySerde: Serde<K>;
  /** @internal */
  readonly valueSerde: Serde<V>;
  /** The store to query, when the table is materialized (a source table or an aggregation). */
  readonly queryableStoreName: string | undefined;
  /** @internal how a join looks keys up in this table */
  readonly valueGetter: ValueGetterSupplier<K, V>;
  /** @internal how long after a window's end it closes (grace; a session's gap plus grace), for suppress */
  readonly windowGraceMs: number | undefined;

  /** @internal made by the DSL */
  constructor(
    context: BuildContext,
    nodeName: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    queryableStoreName: string | undefined,
    valueGetter: ValueGetterSupplier<K, V>,
    windowGraceMs?: number,
  ) {
    this.#context = context;
    this.nodeName = nodeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.queryableStoreName = queryableStoreName;
    this.valueGetter = valueGetter;
    this.windowGraceMs = windowGraceMs;
  }

  /**
   * Holds updates back (see Suppressed): a windowed table's final results once each window closes, or
   * at most one update per key per time limit. The buffer is a store of its own, logged and restored.
   * Updates go out at the commit after they come due (commit.interval.ms).
   */
  suppress(suppressed: Suppressed): KTable<K, V> {
    const name = suppressed.name ?? this.#context.names.next('KTABLE-SUPPRESS');
    const storeName = `${suppressed.name ? name : `KTABLE-SUPPRESS-STATE-STORE-${name.slice(-10)}`}-store`;
    let dueTime: (key: K, timestamp: number) => number;
    if (suppressed.kind === 'untilWindowCloses') {
      const grace = this.windowGraceMs;
      if (grace === undefined)
        throw new TypeError('suppress(untilWindowCloses) needs a windowed table (from windowedBy)');
      dueTime = (key) => (key as unknown as Windowed<unknown>).window.end + grace;
    } else {
      dueTime = (_key, timestamp) => timestamp + suppressed.timeToWaitMs;
    }
    const supplier = suppressProcessor(storeName, suppressed, this.keySerde, this.valueSerde, dueTime);
    this.#context.topology.addProcessor(name, supplier, this.nodeName);
    const store = Stores.keyValueStore({
      name: storeName,
      keySerde: Serdes.Buffer(),
      valueSerde: Serdes.Buffer(),
    });
    this.#context.topology.addStateStore({ ...store, type: 'suppression' as const }, name);
    return new KTable(
      this.#context,
      name,
      this.keySerde,
      this.valueSerde,
      undefined,
      this.valueGetter,
      this.windowGraceMs,
    );
  }

  /** The table's updates as a stream (a delete arrives as a null value). */
  toStream(): KStream<K, V | null> {
    const name = this.#context.names.next('KTABLE-TOSTREAM');
    this.#context.topology.addProcessor(name, passThroughProcessor(), this.nodeName);
    return new KStream<K, V | null>(
      this.#context,
      name,
      this.keySerde,
      this.valueSerde as Serde<V | null>,
      false,
    );
  }

  /** Keeps the entries that match; an entry that stops matching is deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    return this.#filter(predicate, true);
  }

  filterNot(predicate: (key: K, value: V) => boolean): KTable<K, V> {
    return this.#filter(predicate, false);
  }

  #filter(predicate: (key: K, value: V) => boolean, keep: boolean): KTable<K, V> {
    const name = this.#context.names.next('KTABLE-FILTER');
    this.#context.topology.addProcessor(name, tableFilterProcessor(predicate, keep), this.nodeName);
    const upstream = this.valueGetter;
    return new KTable(this.#context, name, this.keySerde, this.valueSerde, undefined, {
      storeNames: upstream.storeNames,
      get: (context) => {
        const lookup = upstream.get(context);
        return (key) => {
          const value = lookup(key);
          return value !== undefined && predicate(key, value) === keep ? value : undefined;
        };
      },
    });
  }

  /**
   * A new value per row. Unmaterialized (the default), it is computed again at every lookup; with
   * `materialized`, kept in a store of its own, which interactive queries can read.
   */
  mapValues<V2>(
    mapper: (value: V, key: K) => V2,
    valueSerde?: Serde<V2>,
    materialized?: Materialized<V2>,
  ): KTable<K, V2> {
    const name = this.#context.names.next('KTABLE-MAPVALUES');
    const serde = valueSerde ?? defaultSerde<V2>(this.valueSerde);
    if (materialized !== undefined) {
      const storeName = typeof materialized === 'string' ? materialized : materialized.storeName;
      const persistent = typeof materialized === 'object' ? materialized.persistent : undefined;
      const store = Stores.keyValueStore({ name: storeName, keySerde: this.keySerde, valueSerde: serde });
      this.#context.topology.addProcessor(
        name,
        tableMapValuesToStoreProcessor(storeName, mapper),
        this.nodeName,
      );
      this.#context.topology.addStateStore(persistent === undefined ? store : { ...store, persistent }, name);
      return new KTable(this.#context, name, this.keySerde, serde, storeName, storeGetter<K, V2>(storeName));
    }
    this.#context.topology.addProcessor(name, tableMapValuesProcessor(mapper), this.nodeName);
    const upstream = this.valueGetter;
    return new KTable(this.#context, name, this.keySerde, serde, undefined, {
      storeNames: upstream.storeNames,
      get: (context) => {
        const lookup = upstream.get(context);
        return (key) => {
          const value = lookup(key);
          return value === undefined ? undefined : mapper(value, key);
        };
      },
    });
  }

  /** Inner join with another table on the key: a row when both sides have the key. */
  join<V2, VR>(
    other: KTable<K, V2>,
    joiner: (value: V, otherValue: V2) => VR,
    valueSerde?: Serde<VR>,
  ): KTable<K, VR>;
  /**
   * Foreign-key join (KIP-213): each row joined with the other table's row keyed by
   * `foreignKeyExtractor(value)`, keyed by this table's key; no row while either is missing (or the foreign
   * key is null). The tables need not be co-partitioned. See foreign-key-join.ts.
   */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null | undefined,
    joiner: (value: V, otherValue: VO) => VR,
    joined?: ForeignKeyJoined<VR>,
  ): KTable<K, VR>;
  // biome-ignore lint/suspicious/noExplicitAny: the implementation of the two overloads above
  join(other: KTable<any, any>, ...rest: unknown[]): KTable<K, any> {
    return this.#join(other, 'inner', rest);
  }

  /** Left join: a row for every key of this table, the other side undefined when it lacks the key. */
  leftJoin<V2, VR>(
    other: KTable<K, V2>,
    joiner: (value: V, otherValue: V2 | undefined) => VR,
    valueSerde?: Serde<VR>,
  ): KTable<K, VR>;
  /** Foreign-key left join: a row for every row of this table, the other side undefined when missing. */
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null | undefined,
    joiner: (value: V, otherValue: VO | undefined) => VR,
    joined?: ForeignKeyJoined<VR>,
  ): KTable<K, VR>;
  // biome-ignore lint/suspicious/noExplicitAny: the implementation of the two overloads above
  leftJoin(other: KTable<any, any>, ...rest: unknown[]): KTable<K, any> {
    return this.#join(other, 'left', rest);
  }

  /** Tells a foreign-key join (a foreign-key extractor, then a joiner) from a join on the key. */
  #join(other: KTable<unknown, unknown>, kind: 'inner' | 'left', rest: unknown[]): KTable<K, unknown> {
    const [first, second, third] = rest;
    if (typeof second === 'function')
      return foreignKeyJoin(
        this.#context,
        this,
        other,
        first as never,
        second as never,
        kind,
        third as never,
      );
    const valueSerde = (second as Serde<unknown> | undefined) ?? Serdes.Json();
    return joinTables(this.#context, this, other as never, first as never, kind, valueSerde);
  }

  /** Outer join: a row for every key of either table, the side that lacks it undefined. */
  outerJoin<V2, VR>(
    other: KTable<K, V2>,
    joiner: (value: V | undefined, otherValue: V2 | undefined) => VR,
    valueSerde?: Serde<VR>,
  ): KTable<K, VR> {
    return joinTables(this.#context, this, other, joiner, 'outer', valueSerde ?? Serdes.Json<VR>());
  }

  /**
   * Regroups the rows by a new key, for an aggregation with adder and subtractor (KGroupedTable): a row that
   * changes, moves to another group or leaves the table is taken away from where it was counted.
   */
  groupBy<K2, V2>(
    selector: (key: K, value: V) => readonly [K2, V2],
    grouped: Grouped<K2, V2> = {},
  ): KGroupedTable<K2, V2> {
    return regroupTable(this.#context, this, selector, {
      ...grouped,
      keySerde: grouped.keySerde ?? (Serdes.String() as unknown as Serde<K2>),
      valueSerde: grouped.valueSerde ?? Serdes.Json<V2>(),
    });
  }
}
