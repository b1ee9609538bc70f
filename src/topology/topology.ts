import type { Serde } from '../serdes/index.js';
import { Serdes } from '../serdes/index.js';
import type { GlobalStoreSpec } from './global-store.js';
import type { ProcessorSupplier } from './processor.js';
import type { RecordHeaders, TimestampExtractor } from './record.js';
import { recordTimestamp } from './record.js';
import type { StoreBuilder } from './store-builder.js';
import { describeTopology } from './topology-description.js';

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly string[];
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly timestampExtractor: TimestampExtractor;
  /** Reads a repartition topic: the topic name gets the application id as a prefix at run time. */
  readonly internal: boolean;
}

export interface ProcessorNode {
  readonly kind: 'processor';
  readonly name: string;
  readonly supplier: ProcessorSupplier;
  readonly parents: readonly string[];
  readonly stores: readonly string[];
}

/** Chooses a sink record's partition; undefined lets the engine hash the key. */
export type SinkPartitioner = (key: unknown, value: unknown, partitions: number) => number | undefined;

export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  readonly topic: string;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly parents: readonly string[];
  readonly internal: boolean;
  readonly partitioner?: SinkPartitioner;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/** One connected part of a topology: its tasks run independently, one per partition of its sources. */
export interface Subtopology {
  readonly id: number;
  /** Nodes in an order where parents come before their children. */
  readonly nodes: readonly TopologyNode[];
  readonly sources: readonly SourceNode[];
  readonly sinks: readonly SinkNode[];
  readonly stores: readonly StoreBuilder[];
}

export interface SourceOptions<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor<K, V>;
  /** @internal for the DSL: a repartition topic, named without the application id. */
  readonly internal?: boolean;
}

export interface SinkOptions<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly partitioner?: (key: K, value: V, partitions: number) => number | undefined;
  /** @internal for the DSL: a repartition topic, named without the application id. */
  readonly internal?: boolean;
}

export type { RecordHeaders };

/**
 * A graph of sources, processors, stores and sinks: the processor API that the DSL compiles to, and that
 * applications may also call directly. Immutable once handed to KafkaStreams or the test driver.
 */
export class Topology {
  readonly #nodes = new Map<string, TopologyNode>();
  readonly #stores = new Map<string, StoreBuilder>();
  readonly #storeUsers = new Map<string, Set<string>>();
  readonly #globalStores = new Map<string, GlobalStoreSpec>();
  #sealed = false;
  #subtopologies: Subtopology[] | undefined;

  addSource<K = unknown, V = unknown>(
    name: string,
    topics: string | readonly string[],
    options: SourceOptions<K, V> = {},
  ): this {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw new TypeError(`source ${name} needs at least one topic`);
    for (const topic of list) {
      if (!isTopicName(topic))
        throw new TypeError(`source ${name}: not a valid topic name: ${JSON.stringify(topic)}`);
      for (const node of this.#nodes.values()) {
        if (node.kind === 'source' && node.topics.includes(topic)) {
          throw new TypeError(`topic ${topic} is already read by source ${node.name}`);
        }
      }
      for (const global of this.#globalStores.values()) {
        if (global.topic === topic)
          throw new TypeError(`topic ${topic} is already read by global store ${global.name}`);
      }
    }
    return this.#add({
      kind: 'source',
      name,
      topics: list,
      keySerde: (options.keySerde ?? Serdes.String()) as Serde<unknown>,
      valueSerde: (options.valueSerde ?? Serdes.Json()) as Serde<unknown>,
      timestampExtractor: (options.timestampExtractor ?? recordTimestamp) as TimestampExtractor,
      internal: options.internal ?? false,
    });
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>,
    ...parentNames: string[]
  ): this {
    if (typeof supplier !== 'function') throw new TypeError(`processor ${name} needs a supplier function`);
    this.#checkParents(name, parentNames);
    return this.#add({
      kind: 'processor',
      name,
      supplier: supplier as ProcessorSupplier,
      parents: parentNames,
      stores: [],
    });
  }

  addSink<K = unknown, V = unknown>(
    name: string,
    topic: string,
    options: SinkOptions<K, V> = {},
    ...parentNames: string[]
  ): this {
    if (!isTopicName(topic))
      throw new TypeError(`sink ${name}: not a valid topic name: ${JSON.stringify(topic)}`);
    this.#checkParents(name, parentNames);
    return this.#add({
      kind: 'sink',
      name,
      topic,
      keySerde: (options.keySerde ?? Serdes.String()) as Serde<unknown>,
      valueSerde: (options.valueSerde ?? Serdes.Json()) as Serde<unknown>,
      parents: parentNames,
      internal: options.internal ?? false,
      ...(options.partitioner ? { partitioner: options.partitioner as SinkPartitioner } : {}),
    });
  }

  /** Adds a store and connects it to the named processors. */
  addStateStore<K, V>(builder: StoreBuilder<K, V>, ...processorNames: string[]): this {
    this.#assertOpen();
    if (this.#stores.has(builder.name)) throw new TypeError(`store ${builder.name} is already added`);
    this.#stores.set(builder.name, builder as StoreBuilder);
    this.#storeUsers.set(builder.name, new Set());
    return this.connectProcessorAndStateStores(processorNames, builder.name);
  }

  /**
   * Adds a global store: every instance holds the whole of `topic` in it, and every processor may read it
   * (getStateStore) without being connected to it. Its topic is read by no task.
   */
  addGlobalStore<K, V>(spec: GlobalStoreSpec<K, V>): this {
    this.#assertOpen();
    if (!isTopicName(spec.topic))
      throw new TypeError(`global store ${spec.name}: not a valid topic name: ${JSON.stringify(spec.topic)}`);
    if (this.#stores.has(spec.name) || this.#globalStores.has(spec.name))
      throw new TypeError(`store ${spec.name} is already added`);
    for (const node of this.#nodes.values()) {
      if (node.kind === 'source' && node.topics.includes(spec.topic))
        throw new TypeError(`topic ${spec.topic} is already read by source ${node.name}`);
    }
    this.#globalStores.set(spec.name, spec as GlobalStoreSpec);
    return this;
  }

  /** The global stores, in the order added. */
  globalStores(): readonly GlobalStoreSpec[] {
    return [...this.#globalStores.values()];
  }

  /** The global store of this name, if any. */
  globalStore(name: string): GlobalStoreSpec | undefined {
    return this.#globalStores.get(name);
  }

  connectProcessorAndStateStores(processorNames: string | readonly string[], ...storeNames: string[]): this {
    this.#assertOpen();
    for (const processorName of typeof processorNames === 'string' ? [processorNames] : processorNames) {
      const node = this.#nodes.get(processorName);
      if (node?.kind !== 'processor') throw new TypeError(`no processor named ${processorName}`);
      for (const storeName of storeNames) {
        const users = this.#storeUsers.get(storeName);
        if (!users) throw new TypeError(`no store named ${storeName}`);
        users.add(processorName);
        if (!node.stores.includes(storeName)) {
          this.#nodes.set(processorName, { ...node, stores: [...node.stores, storeName] });
        }
      }
    }
    return this;
  }

  #checkParents(name: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TypeError(`${name} needs at least one parent`);
    for (const parent of parents) {
      const node = this.#nodes.get(parent);
      if (!node) throw new TypeError(`${name}: no parent named ${parent}`);
      if (node.kind === 'sink') throw new TypeError(`${name}: a sink (${parent}) cannot be a parent`);
    }
  }

  #add(node: TopologyNode): this {
    this.#assertOpen();
    if (typeof node.name !== 'string' || node.name === '') throw new TypeError('a node needs a name');
    if (this.#nodes.has(node.name)) throw new TypeError(`a node named ${node.name} already exists`);
    this.#nodes.set(node.name, node);
    return this;
  }

  #assertOpen(): void {
    if (this.#sealed) throw new TypeError('this topology is in use and can no longer change');
  }

  /** Every node, in the order added. */
  get nodes(): readonly TopologyNode[] {
    return [...this.#nodes.values()];
  }

  store(name: string): StoreBuilder | undefined {
    return this.#stores.get(name);
  }

  /** Children of a node, in the order added. */
  children(name: string): TopologyNode[] {
    return [...this.#nodes.values()].filter((node) => node.kind !== 'source' && node.parents.includes(name));
  }

  /**
   * The sub-topologies: nodes joined by parent-child edges or by a shared store. A repartition topic is a
   * sink in one and a source in another, so it splits them. Freezes the topology.
   */
  subtopologies(): readonly Subtopology[] {
    this.#sealed = true;
    this.#subtopologies ??= this.#computeSubtopologies();
    return this.#subtopologies;
  }

  #computeSubtopologies(): Subtopology[] {
    const names = [...this.#nodes.keys()];
    const parent = new Map(names.map((name) => [name, name]));
    const find = (name: string): string => {
      let root = name;
      while (parent.get(root) !== root) root = parent.get(root) as string;
      parent.set(name, root);
      return root;
    };
    const union = (a: string, b: string) => parent.set(find(a), find(b));
    for (const node of this.#nodes.values()) {
      if (node.kind !== 'source') for (const p of node.parents) union(node.name, p);
    }
    for (const users of this.#storeUsers.values()) {
      const [first, ...rest] = [...users];
      if (first) for (const other of rest) union(first, other);
    }
    const groups = new Map<string, TopologyNode[]>();
    for (const node of this.#nodes.values()) {
      const root = find(node.name);
      groups.set(root, [...(groups.get(root) ?? []), node]);
    }
    return [...groups.values()].map((nodes, id) => {
      const storeNames = new Set(nodes.flatMap((node) => (node.kind === 'processor' ? node.stores : [])));
      return {
        id,
        nodes,
        sources: nodes.filter((node): node is SourceNode => node.kind === 'source'),
        sinks: nodes.filter((node): node is SinkNode => node.kind === 'sink'),
        stores: [...storeNames].map((name) => this.#stores.get(name) as StoreBuilder),
      };
    });
  }

  /** A text picture of the sub-topologies, sources, processors, stores and sinks, as Kafka Streams prints. */
  describe(): string {
    return describeTopology(this.subtopologies(), (name) => this.children(name), this.globalStores());
  }

  toString(): string {
    return this.describe();
  }
}

/** Kafka's rule for topic names: 1 to 249 of letters, digits, '.', '_' and '-', and not '.' or '..'. */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}
