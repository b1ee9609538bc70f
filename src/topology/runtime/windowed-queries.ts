import type { KeyValue, KeyValueStore, Windowed } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import type { Topology } from '../topology.js';
import { partitionForKey } from './murmur2.js';
import { readOnlySessionStore, readOnlyWindowStore } from './store-views.js';
import { storeOf } from './streams-metadata.js';
import type { StreamTask } from './task.js';

/** A window store over the active tasks of this instance: each key read from its partition's task. */
export interface LocalWindowStore<K, V> {
  fetch(key: K, windowStart: number): V | undefined;
  fetch(key: K, timeFrom: number, timeTo: number): AsyncIterable<KeyValue<number, V>>;
  /** Every local key's windows that start from `timeFrom` to `timeTo`, task by task. */
  fetchAll(timeFrom: number, timeTo: number): AsyncIterable<KeyValue<Windowed<K>, V>>;
  /** Entries held in the local tasks' stores, expired ones not yet deleted included. */
  approximateNumEntries(): number;
}

/** A session store over the active tasks of this instance. */
export interface LocalSessionStore<K, V> {
  fetch(key: K): KeyValue<Windowed<K>, V>[];
  findSessions(
    key: K,
    earliestSessionEndTime: number,
    latestSessionStartTime: number,
  ): KeyValue<Windowed<K>, V>[];
  approximateNumEntries(): number;
}

type Tasks = () => readonly StreamTask[];
type Partitions = (subtopology: number) => number;

function localTasks(topology: Topology, storeName: string, type: 'window' | 'session', tasks: Tasks) {
  const { sub, builder } = storeOf(topology, storeName);
  if (builder.type !== type)
    throw new StreamsError('INVALID_STATE_STORE', `${storeName} is not a ${type} store`);
  const local = () => tasks().filter((task) => task.id.subtopology === sub.id);
  const bytesOf = (task: StreamTask) =>
    task.stores.get(storeName)?.top as unknown as KeyValueStore<Buffer, Buffer> | undefined;
  const count = () => local().reduce((n, task) => n + (bytesOf(task)?.approximateNumEntries() ?? 0), 0);
  return { sub, builder, local, bytesOf, count };
}

/** The local view `KafkaStreams.windowStore` answers. */
export function localWindowStore<K, V>(
  topology: Topology,
  storeName: string,
  tasks: Tasks,
  partitions: Partitions,
): LocalWindowStore<K, V> {
  const { sub, builder, local, bytesOf, count } = localTasks(topology, storeName, 'window', tasks);
  const view = (task: StreamTask | undefined) => {
    const bytes = task && bytesOf(task);
    return bytes ? readOnlyWindowStore<K, V>(builder, bytes) : undefined;
  };
  const ownerOf = (key: K) => {
    const partition = partitionForKey(builder.keySerde.serialize(key), partitions(sub.id));
    return view(local().find((task) => task.id.partition === partition));
  };
  async function* none() {}
  return {
    fetch: ((key: K, from: number, to?: number) => {
      const store = ownerOf(key);
      if (to === undefined) return store?.fetch(key, from);
      return store ? store.fetch(key, from, to) : none();
    }) as LocalWindowStore<K, V>['fetch'],
    fetchAll: async function* (from: number, to: number) {
      for (const task of local()) {
        const store = view(task);
        if (store) yield* store.fetchAll(from, to);
      }
    },
    approximateNumEntries: count,
  };
}

/** The local view `KafkaStreams.sessionStore` answers. */
export function localSessionStore<K, V>(
  topology: Topology,
  storeName: string,
  tasks: Tasks,
  partitions: Partitions,
): LocalSessionStore<K, V> {
  const { sub, builder, local, bytesOf, count } = localTasks(topology, storeName, 'session', tasks);
  const ownerOf = (key: K) => {
    const partition = partitionForKey(builder.keySerde.serialize(key), partitions(sub.id));
    const task = local().find((t) => t.id.partition === partition);
    const bytes = task && bytesOf(task);
    return bytes ? readOnlySessionStore<K, V>(builder, bytes) : undefined;
  };
  return {
    fetch: (key) => ownerOf(key)?.fetch(key) ?? [],
    findSessions: (key, earliestEnd, latestStart) =>
      ownerOf(key)?.findSessions(key, earliestEnd, latestStart) ?? [],
    approximateNumEntries: count,
  };
}
