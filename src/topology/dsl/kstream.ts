import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { ProcessorSupplier } from '../processor.js';
import { defaultSerde } from './default-serde.js';
import { GlobalKTable } from './global-ktable.js';
import { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import {
  filterProcessor,
  flatMapValuesProcessor,
  mapProcessor,
  mapValuesProcessor,
  peekProcessor,
  selectKeyProcessor,
  streamGlobalTableJoinProcessor,
  streamTableJoinProcessor,
} from './processors.js';
import type { BuildContext } from './streams-builder.js';

export interface Produced<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface Grouped<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** Names the repartition topic (`<application.id>-<name>-repartition`), when one is needed. */
  readonly name?: string;
}

/**
 * A record stream. Operations that change the key (map, selectKey) mark it for repartitioning, which
 * happens only when a later grouping or join needs records co-located by their new key.
 */
export class KStream<K, V> {
  readonly #context: BuildContext;
  /** @internal */
  readonly nodeName: string;
  /** @internal */
  readonly keySerde: Serde<K>;
  /** @internal */
  readonly valueSerde: Serde<V>;
  /** @internal */
  readonly repartitionRequired: boolean;

  /** @internal made by StreamsBuilder and other DSL operations */
  constructor(
    context: BuildContext,
    nodeName: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    repartitionRequired: boolean,
  ) {
    this.#context = context;
    this.nodeName = nodeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
  }

  #then<K2, V2>(
    prefix: string,
    supplier: ProcessorSupplier<K, V, K2, V2>,
    keySerde: Serde<K2>,
    valueSerde: Serde<V2>,
    repartition: boolean,
  ) {
    const name = this.#context.names.next(prefix);
    this.#context.topology.addProcessor(name, supplier, this.nodeName);
    return new KStream<K2, V2>(this.#context, name, keySerde, valueSerde, repartition);
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.#then(
      'KSTREAM-FILTER',
      filterProcessor(predicate, true),
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
    );
  }

  filterNot(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.#then(
      'KSTREAM-FILTER',
      filterProcessor(predicate, false),
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
    );
  }

  /**
   * A new key and value per record. The types change, so the serdes do too: the key serde falls back to
   * String and the value serde to Json unless given.
   */
  map<K2, V2>(
    mapper: (key: K, value: V) => readonly [K2, V2] | { key: K2; value: V2 },
    produced: Produced<K2, V2> = {},
  ): KStream<K2, V2> {
    const keySerde = produced.keySerde ?? defaultSerde<K2>(Serdes.String());
    const valueSerde = produced.valueSerde ?? Serdes.Json<V2>();
    return this.#then('KSTREAM-MAP', mapProcessor(mapper), keySerde, valueSerde, true);
  }

  mapValues<V2>(
    mapper: (value: V, key: K) => V2,
    produced: Pick<Produced<K, V2>, 'valueSerde'> = {},
  ): KStream<K, V2> {
    const valueSerde = produced.valueSerde ?? defaultSerde<V2>(this.valueSerde);
    return this.#then(
      'KSTREAM-MAPVALUES',
      mapValuesProcessor(mapper),
      this.keySerde,
      valueSerde,
      this.repartitionRequired,
    );
  }

  flatMapValues<V2>(
    mapper: (value: V, key: K) => Iterable<V2>,
    produced: Pick<Produced<K, V2>, 'valueSerde'> = {},
  ): KStream<K, V2> {
    const valueSerde = produced.valueSerde ?? defaultSerde<V2>(this.valueSerde);
    return this.#then(
      'KSTREAM-FLATMAPVALUES',
      flatMapValuesProcessor(mapper),
      this.keySerde,
      valueSerde,
      this.repartitionRequired,
    );
  }

  selectKey<K2>(
    selector: (key: K, value: V) => K2,
    produced: Pick<Produced<K2, V>, 'keySerde'> = {},
  ): KStream<K2, V> {
    const keySerde = produced.keySerde ?? defaultSerde<K2>(this.keySerde);
    return this.#then('KSTREAM-KEY-SELECT', selectKeyProcessor(selector), keySerde, this.valueSerde, true);
  }

  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.#then(
      'KSTREAM-PEEK',
      peekProcessor(action),
      this.keySerde,
      this.valueSerde,
      this.repartitionRequired,
    );
  }

  /**
   * Runs a processor of your own (the processor API) on every record, connected to the named stores
   * (added with `StreamsBuilder.addStateStore`); what it forwards is the new stream. The key is taken to
   * be unchanged: a processor that changes it should be followed by `selectKey` or a repartition.
   */
  process<K2 = K, V2 = V>(
    supplier: ProcessorSupplier<K, V, K2, V2>,
    options: {
      readonly stores?: readonly string[];
      readonly keySerde?: Serde<K2>;
      readonly valueSerde?: Serde<V2>;
    } = {},
  ): KStream<K2, V2> {
    const stream = this.#then(
      'KSTREAM-PROCESSOR',
      supplier,
      options.keySerde ?? (this.keySerde as unknown as Serde<K2>),
      options.valueSerde ?? (this.valueSerde as unknown as Serde<V2>),
      this.repartitionRequired,
    );
    if (options.stores?.length)
      this.#context.topology.connectProcessorAndStateStores(stream.nodeName, ...options.stores);
    return stream;
  }

  /** Writes every record to a topic (which must exist). */
  to(topic: string, produced: Produced<K, V> = {}): void {
    const name = this.#context.names.next('KSTREAM-SINK');
    const [keySerde, valueSerde] = this.#serdes(produced);
    this.#context.topology.addSink(name, topic, { keySerde, valueSerde }, this.nodeName);
  }

  /** Groups by the current key, repartitioning first if an earlier operation changed the key. */
  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    const [keySerde, valueSerde] = this.#serdes(grouped);
    const stream = new KStream(this.#context, this.nodeName, keySerde, valueSerde, this.repartitionRequired);
    return new KGroupedStream(this.#context, stream, grouped.name);
  }

  /** Groups by a new key: always repartitions, so equal keys meet in one task. */
  groupBy<K2>(selector: (key: K, value: V) => K2, grouped: Grouped<K2, V> = {}): KGroupedStream<K2, V> {
    return this.selectKey(selector, grouped.keySerde ? { keySerde: grouped.keySerde } : {}).groupByKey({
      ...grouped,
      keySerde: grouped.keySerde ?? defaultSerde<K2>(this.keySerde),
    });
  }

  /** Inner join with a table on the key: records whose key is not in the table produce nothing. */
  join<VT, VR>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT, key: K) => VR,
    produced?: Pick<Produced<K, VR>, 'valueSerde'>,
  ): KStream<K, VR>;
  /**
   * Inner join with a global table on a key derived from each record (`keySelector`): no repartition, since
   * every instance holds the whole table. Records whose derived key is not in the table produce nothing.
   */
  join<GK, GV, VR>(
    table: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV, key: K) => VR,
    produced?: Pick<Produced<K, VR>, 'valueSerde'>,
  ): KStream<K, VR>;
  join(table: unknown, ...rest: unknown[]): KStream<K, unknown> {
    return this.#joinEither(table, rest, false);
  }

  /** Left join with a table on the key: every record produces one, with undefined for a missing table value. */
  leftJoin<VT, VR>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT | undefined, key: K) => VR,
    produced?: Pick<Produced<K, VR>, 'valueSerde'>,
  ): KStream<K, VR>;
  /** Left join with a global table on a derived key: every record produces one, undefined when absent. */
  leftJoin<GK, GV, VR>(
    table: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV | undefined, key: K) => VR,
    produced?: Pick<Produced<K, VR>, 'valueSerde'>,
  ): KStream<K, VR>;
  leftJoin(table: unknown, ...rest: unknown[]): KStream<K, unknown> {
    return this.#joinEither(table, rest, true);
  }

  // The overloads' arguments, told apart by the table's kind.
  #joinEither(table: unknown, rest: unknown[], left: boolean): KStream<K, unknown> {
    type Joiner = (value: V, tableValue: unknown, key: K) => unknown;
    type Options = Pick<Produced<K, unknown>, 'valueSerde'> | undefined;
    if (table instanceof GlobalKTable) {
      const [keySelector, joiner, produced] = rest as [(key: K, value: V) => unknown, Joiner, Options];
      return this.#globalJoin(table, keySelector, joiner, left, produced?.valueSerde);
    }
    const [joiner, produced] = rest as [Joiner, Options];
    return this.#join(table as KTable<K, unknown>, joiner, left, produced?.valueSerde);
  }

  #globalJoin<GK, GV, VR>(
    table: GlobalKTable<GK, GV>,
    keySelector: (key: K, value: V) => GK,
    joiner: (value: V, tableValue: GV | undefined, key: K) => VR,
    left: boolean,
    valueSerde?: Serde<VR>,
  ): KStream<K, VR> {
    const name = this.#context.names.next(left ? 'KSTREAM-LEFTJOIN' : 'KSTREAM-JOIN');
    const supplier = streamGlobalTableJoinProcessor(table.valueGetter, keySelector, joiner, left);
    this.#context.topology.addProcessor(name, supplier, this.nodeName);
    // The key is unchanged: a later grouping repartitions only if this stream had to.
    return new KStream(
      this.#context,
      name,
      this.keySerde,
      valueSerde ?? defaultSerde<VR>(this.valueSerde),
      this.repartitionRequired,
    );
  }

  #join<VT, VR>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT | undefined, key: K) => VR,
    left: boolean,
    valueSerde?: Serde<VR>,
  ): KStream<K, VR> {
    const input = this.repartitionRequired ? this.repartition(`${this.nodeName}`) : this;
    const name = this.#context.names.next(left ? 'KSTREAM-LEFTJOIN' : 'KSTREAM-JOIN');
    const supplier = streamTableJoinProcessor(table.valueGetter, joiner, left);
    this.#context.topology.addProcessor(name, supplier, input.nodeName);
    this.#context.topology.connectProcessorAndStateStores(name, ...table.valueGetter.storeNames);
    return new KStream(
      this.#context,
      name,
      this.keySerde,
      valueSerde ?? defaultSerde<VR>(this.valueSerde),
      false,
    );
  }

  /**
   * @internal Sends the stream through `<application.id>-<topicName>-repartition`, partitioned by key, and
   * reads it back in a new sub-topology.
   */
  repartition(topicName: string): KStream<K, V> {
    const topic = `${topicName}-repartition`;
    const sinkName = this.#context.names.next('KSTREAM-SINK');
    const sourceName = this.#context.names.next('KSTREAM-SOURCE');
    const serdes = { keySerde: this.keySerde, valueSerde: this.valueSerde, internal: true };
    this.#context.topology.addSink(sinkName, topic, serdes, this.nodeName);
    this.#context.topology.addSource(sourceName, topic, serdes);
    return new KStream(this.#context, sourceName, this.keySerde, this.valueSerde, false);
  }

  #serdes<K2, V2>(given: { keySerde?: Serde<K2>; valueSerde?: Serde<V2> }): [Serde<K2>, Serde<V2>] {
    return [
      given.keySerde ?? defaultSerde<K2>(this.keySerde),
      given.valueSerde ?? defaultSerde<V2>(this.valueSerde),
    ];
  }
}
