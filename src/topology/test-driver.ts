import type { Serde } from '../serdes/index.js';
import { Serdes } from '../serdes/index.js';
import type { KeyValueStore, SessionStore, StateStore, WindowStore } from '../stores/index.js';
import { defaultSerde } from './dsl/default-serde.js';
import { GlobalStore } from './global-store.js';
import { DEFAULT_MAX_MESSAGE_BYTES, maxRecordBytes } from './kafka/record-size.js';
import type { RecordHeaders } from './record.js';
import type { OutgoingRecord, RecordCollector } from './runtime/record-collector.js';
import { StreamTask } from './runtime/task.js';
import type { StoreBuilder } from './store-builder.js';
import type { Topology } from './topology.js';

export interface TestDriverConfig {
  /** Default 'test-driver': names the changelog, repartition and DLQ topics as at run time. */
  readonly applicationId?: string;
  readonly deserializationExceptionHandler?: 'dlq' | 'fail';
  readonly processingExceptionHandler?: 'dlq' | 'fail';
  readonly productionExceptionHandler?: 'dlq' | 'fail';
  /** What every topic takes, as a broker's max.message.bytes. Default 1,048,588 (Kafka's). */
  readonly maxMessageBytes?: number;
  /** The mock wall clock's start, epoch ms. Default: Date.now() when the driver is made. */
  readonly initialWallClockTimeMs?: number;
}

/** A record the topology wrote, as bytes. */
export interface TestRecord<K, V> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/**
 * Runs a topology in-process, with no broker, for fast unit tests: one task per sub-topology on partition 0.
 * Each piped record runs through the whole topology (repartition topics included) and is committed before
 * pipeInput returns, so outputs and stores can be read right away. It runs the same tasks, stores and
 * processors as KafkaStreams does.
 */
export class TopologyTestDriver {
  readonly applicationId: string;
  readonly #topology: Topology;
  readonly #tasks: StreamTask[] = [];
  readonly #outputs = new Map<string, OutgoingRecord[]>();
  readonly #offsets = new Map<string, bigint>();
  readonly #pending: OutgoingRecord[] = [];
  readonly #internalTopics = new Set<string>();
  /** Global stores by their topic: a record piped there updates the store every task reads. */
  readonly #globals = new Map<string, GlobalStore>();
  readonly #dropped = new Map<string, number>();
  #now: number;
  #closed = false;

  constructor(topology: Topology, config: TestDriverConfig = {}) {
    this.applicationId = config.applicationId ?? 'test-driver';
    this.#topology = topology;
    this.#now = config.initialWallClockTimeMs ?? Date.now();
    const collector: RecordCollector = {
      send: (record) => {
        if (this.#internalTopics.has(record.topic)) this.#pending.push(record);
        else this.#output(record.topic).push(record);
      },
    };
    const env = {
      applicationId: this.applicationId,
      collector,
      topicName: (topic: string, internal: boolean) => (internal ? `${this.applicationId}-${topic}` : topic),
      changelogTopic: (store: string) => `${this.applicationId}-${store}-changelog`,
      partitions: () => 1,
      deserializationExceptionHandler: config.deserializationExceptionHandler ?? 'dlq',
      processingExceptionHandler: config.processingExceptionHandler ?? 'dlq',
      productionExceptionHandler: config.productionExceptionHandler ?? 'dlq',
      maxRecordBytes: () => maxRecordBytes(config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES),
      globalStore: (name: string) =>
        [...this.#globals.values()].find((store) => store.spec.name === name)?.view,
      now: () => this.#now,
      // As the engine runs with caching: updates held to the commit, which here follows every record.
      forwardAtFlush: true,
      onDrop: (_node: string, reason: string) =>
        this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + 1),
    };
    for (const spec of topology.globalStores()) this.#globals.set(spec.topic, new GlobalStore(spec));
    for (const sub of topology.subtopologies()) {
      for (const source of sub.sources) {
        if (source.internal)
          for (const topic of source.topics) this.#internalTopics.add(env.topicName(topic, true));
      }
      this.#tasks.push(new StreamTask({ subtopology: sub.id, partition: 0 }, sub, topology, env));
    }
  }

  #output(topic: string): OutgoingRecord[] {
    let list = this.#outputs.get(topic);
    if (!list) {
      list = [];
      this.#outputs.set(topic, list);
    }
    return list;
  }

  #taskReading(topic: string): StreamTask {
    for (const task of this.#tasks) {
      for (const source of task.subtopology.sources) {
        for (const name of source.topics) {
          if ((source.internal ? `${this.applicationId}-${name}` : name) === topic) return task;
        }
      }
    }
    throw new TypeError(`the topology reads no topic named ${topic}`);
  }

  /** Feeds one record (as bytes) to the task that reads `topic`, then everything it causes, then commits. */
  async pipeRaw(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: RecordHeaders = {},
  ): Promise<void> {
    if (this.#closed) throw new TypeError('the test driver is closed');
    const global = this.#globals.get(topic);
    if (global) {
      global.apply(key, value);
      return;
    }
    this.#deliver(topic, key, value, timestamp, headers);
    await this.#commit();
  }

  /**
   * Moves the mock wall clock on by `ms`, running the wall-clock punctuators that come due, then commits.
   */
  async advanceWallClockTime(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`cannot move the clock by ${String(ms)} ms`);
    this.#now += ms;
    await this.#commit();
  }

  /** The mock wall clock, epoch ms. */
  get wallClockTimeMs(): number {
    return this.#now;
  }

  /** Records dropped by design so far, by reason (`late`: after their window closed), as the metric counts. */
  droppedRecords(): ReadonlyMap<string, number> {
    return new Map(this.#dropped);
  }

  /** Delivers internal records, runs what is due before a commit (punctuation, expiry), and commits. */
  async #commit(): Promise<void> {
    // A flush forwards the updates tables held, which may write internal topics: deliver those and go again.
    do {
      this.#drainInternal();
      for (const task of this.#tasks) {
        await task.maintain(this.#now);
        this.#drainInternal();
      }
      for (const task of this.#tasks) task.flush();
    } while (this.#pending.length > 0);
  }

  #drainInternal(): void {
    while (this.#pending.length > 0) {
      const next = this.#pending.shift() as OutgoingRecord;
      this.#deliver(next.topic, next.key, next.value, next.timestamp, next.headers ?? {});
    }
  }

  #deliver(
    topic: string,
    key: Buffer | null,
    value: Buffer | null,
    timestamp: number,
    headers: RecordHeaders,
  ): void {
    const offset = this.#offsets.get(topic) ?? 0n;
    this.#offsets.set(topic, offset + 1n);
    this.#taskReading(topic).process(topic, 0, {
      key,
      value,
      timestamp: String(timestamp),
      offset: String(offset),
      headers,
    });
  }

  createInputTopic<K = string, V = unknown>(
    topic: string,
    keySerde: Serde<K> = defaultSerde<K>(Serdes.String()),
    valueSerde: Serde<V> = Serdes.Json<V>(),
  ): TestInputTopic<K, V> {
    if (!this.#globals.has(topic)) this.#taskReading(topic);
    return new TestInputTopic(this, topic, keySerde, valueSerde);
  }

  createOutputTopic<K = string, V = unknown>(
    topic: string,
    keySerde: Serde<K> = defaultSerde<K>(Serdes.String()),
    valueSerde: Serde<V> = Serdes.Json<V>(),
  ): TestOutputTopic<K, V> {
    return new TestOutputTopic(this.#output(topic), keySerde, valueSerde);
  }

  /** A store of the topology, read and written as processors see it. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.#store(name, 'keyValue') as KeyValueStore<K, V>;
  }

  /** A window store of the topology (a windowed aggregation's, say), as processors see it. */
  getWindowStore<K, V>(name: string): WindowStore<K, V> {
    return this.#store(name, 'window') as WindowStore<K, V>;
  }

  /** A session store of the topology, as processors see it. */
  getSessionStore<K, V>(name: string): SessionStore<K, V> {
    return this.#store(name, 'session') as SessionStore<K, V>;
  }

  #store(name: string, type: NonNullable<StoreBuilder['type']>): StateStore {
    for (const task of this.#tasks) {
      const store = task.stores.get(name);
      if (!store) continue;
      if ((store.builder.type ?? 'keyValue') !== type)
        throw new TypeError(
          `store ${name} is a ${store.builder.type ?? 'keyValue'} store, not a ${type} store`,
        );
      return store.view;
    }
    throw new TypeError(`the topology has no store named ${name}`);
  }

  get topology(): Topology {
    return this.#topology;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#tasks) await task.close();
  }
}

export class TestInputTopic<K, V> {
  readonly #driver: TopologyTestDriver;
  readonly #topic: string;
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  #time = 0;

  constructor(driver: TopologyTestDriver, topic: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#driver = driver;
    this.#topic = topic;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  /** Pipes one record; without a timestamp, the topic's clock (0, then 1, 2, … ms) stamps it. */
  pipeInput(key: K | null, value: V | null, timestamp?: number, headers: RecordHeaders = {}): Promise<void> {
    const time = timestamp ?? this.#time++;
    return this.#driver.pipeRaw(
      this.#topic,
      key === null ? null : this.#keySerde.serialize(key, this.#topic),
      value === null ? null : this.#valueSerde.serialize(value, this.#topic),
      time,
      headers,
    );
  }

  async pipeKeyValueList(entries: Iterable<readonly [K | null, V | null]>): Promise<void> {
    for (const [key, value] of entries) await this.pipeInput(key, value);
  }
}

export class TestOutputTopic<K, V> {
  readonly #queue: OutgoingRecord[];
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;

  constructor(queue: OutgoingRecord[], keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.#queue = queue;
    this.#keySerde = keySerde;
    this.#valueSerde = valueSerde;
  }

  get queueSize(): number {
    return this.#queue.length;
  }

  isEmpty(): boolean {
    return this.#queue.length === 0;
  }

  readRecord(): TestRecord<K | null, V | null> {
    const record = this.#queue.shift();
    if (!record) throw new RangeError('the output topic is empty');
    return {
      key: record.key === null ? null : this.#keySerde.deserialize(record.key),
      value: record.value === null ? null : this.#valueSerde.deserialize(record.value),
      timestamp: record.timestamp,
      headers: record.headers ?? {},
    };
  }

  readKeyValue(): [K | null, V | null] {
    const { key, value } = this.readRecord();
    return [key, value];
  }

  readRecordsToList(): TestRecord<K | null, V | null>[] {
    const records = [];
    while (!this.isEmpty()) records.push(this.readRecord());
    return records;
  }

  readKeyValuesToList(): [K | null, V | null][] {
    return this.readRecordsToList().map(({ key, value }) => [key, value]);
  }

  /** The latest value per key, as a table would hold it (a null value deletes). */
  readKeyValuesToMap(): Map<K | null, V> {
    const map = new Map<K | null, V>();
    for (const { key, value } of this.readRecordsToList()) {
      if (value === null) map.delete(key);
      else map.set(key, value);
    }
    return map;
  }
}
