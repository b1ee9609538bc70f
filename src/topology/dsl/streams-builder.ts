import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { TimestampExtractor } from '../record.js';
import { type StoreBuilder, Stores } from '../store-builder.js';
import { Topology } from '../topology.js';
import { defaultSerde } from './default-serde.js';
import { GlobalKTable } from './global-ktable.js';
import { KStream } from './kstream.js';
import { KTable } from './ktable.js';
import { NodeNamer } from './naming.js';
import { tableSourceProcessor } from './processors.js';

export interface Consumed<K, V> {
  /** Default: Serdes.String(). */
  readonly keySerde?: Serde<K>;
  /** Default: Serdes.Json(). */
  readonly valueSerde?: Serde<V>;
  /** Default: the Kafka record's timestamp. */
  readonly timestampExtractor?: TimestampExtractor<K, V>;
}

export interface TableOptions<K, V> extends Consumed<K, V> {
  /** The name of the table's store, for interactive queries. Default: a generated name. */
  readonly materialized?: string;
}

/** What the DSL's parts share while a topology is being built. */
export interface BuildContext {
  readonly topology: Topology;
  readonly names: NodeNamer;
}

/** The entry to the DSL: declare streams and tables, chain operations, then build() a Topology. */
export class StreamsBuilder {
  readonly #context: BuildContext = { topology: new Topology(), names: new NodeNamer() };
  #built = false;

  /** A record stream from one or more topics. */
  stream<K = string, V = unknown>(
    topics: string | readonly string[],
    consumed: Consumed<K, V> = {},
  ): KStream<K, V> {
    const name = this.#context.names.next('KSTREAM-SOURCE');
    const keySerde = consumed.keySerde ?? defaultSerde<K>(Serdes.String());
    const valueSerde = consumed.valueSerde ?? (Serdes.Json() as Serde<V>);
    this.#context.topology.addSource(name, topics, { ...consumed, keySerde, valueSerde });
    return new KStream(this.#context, name, keySerde, valueSerde, false);
  }

  /** A changelog stream read as a table: the latest value per key, a null value deleting the key. */
  table<K = string, V = unknown>(topic: string, options: TableOptions<K, V> = {}): KTable<K, V> {
    const sourceName = this.#context.names.next('KSTREAM-SOURCE');
    const processorName = this.#context.names.next('KTABLE-SOURCE');
    const storeName = options.materialized ?? `${topic}-STATE-STORE-${processorName.slice(-10)}`;
    const keySerde = options.keySerde ?? defaultSerde<K>(Serdes.String());
    const valueSerde = options.valueSerde ?? (Serdes.Json() as Serde<V>);
    const topology = this.#context.topology;
    topology.addSource(sourceName, topic, { ...options, keySerde, valueSerde });
    topology.addProcessor(processorName, tableSourceProcessor<K, V>(storeName), sourceName);
    const store = {
      ...Stores.keyValueStore({ name: storeName, keySerde, valueSerde, logging: false }),
      sourceTopic: topic,
    };
    topology.addStateStore(store, processorName);
    return new KTable(this.#context, processorName, keySerde, valueSerde, storeName, {
      storeNames: [storeName],
      get: (context) => {
        const tableStore =
          context.getStateStore<import('../../stores/index.js').KeyValueStore<K, V>>(storeName);
        return (key) => tableStore.get(key);
      },
    });
  }

  /**
   * A table that every instance holds whole, read from all partitions of `topic` (Kafka Streams'
   * GlobalKTable): streams join it on a key they derive, with no co-partitioning and no repartition.
   * Unreadable values are passed over; a null value deletes the key.
   */
  globalTable<K = string, V = unknown>(
    topic: string,
    options: Omit<TableOptions<K, V>, 'timestampExtractor'> = {},
  ): GlobalKTable<K, V> {
    const storeName =
      options.materialized ?? `${topic}-STATE-STORE-${this.#context.names.next('GLOBALKTABLE').slice(-10)}`;
    const keySerde = options.keySerde ?? defaultSerde<K>(Serdes.String());
    const valueSerde = options.valueSerde ?? (Serdes.Json() as Serde<V>);
    this.#context.topology.addGlobalStore({ name: storeName, topic, keySerde, valueSerde });
    return new GlobalKTable(topic, storeName, keySerde, valueSerde);
  }

  /**
   * Adds a store for processors added with `KStream.process` to use (they name it). Like every store, it
   * is logged to a changelog and restored unless its builder says otherwise.
   */
  addStateStore(store: StoreBuilder): this {
    this.#context.topology.addStateStore(store);
    return this;
  }

  /** The topology built so far. Call once, after the last operation. */
  build(): Topology {
    if (this.#built) throw new TypeError('build() was already called on this StreamsBuilder');
    this.#built = true;
    return this.#context.topology;
  }
}
