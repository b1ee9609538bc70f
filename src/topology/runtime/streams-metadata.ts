import { type Admin, AssignerProtocol } from 'kafkajs';
import type { Serde } from '../../serdes/index.js';
import type { KeyValue, ReadOnlyKeyValueStore } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import { taskIdString } from '../record.js';
import type { Topology } from '../topology.js';
import { decodeMemberInfo, decodeStandbys, taskOf } from './assignor.js';
import { partitionForKey } from './murmur2.js';
import type { StreamTask } from './task.js';
import type { TopicPlan } from './topic-plan.js';

/** Which instance serves a key, for routing an interactive query. */
export interface KeyQueryMetadata {
  /** host:port of the instance running the key's task; null while the group is rebalancing. */
  readonly activeHost: string | null;
  /**
   * host:port of the instances keeping a standby copy of the key's task (num.standby.replicas). While the
   * group is rebalancing: the instances that held the task, active or standby, as the last assignment had
   * them (the former owner first), which may answer with a stale copy.
   */
  readonly standbyHosts: readonly string[];
  readonly partition: number;
}

/** One instance of the application, as the group's assignment shows it. */
export interface StreamsMetadata {
  readonly memberId: string;
  readonly hostInfo: string | null;
  readonly activeTasks: readonly string[];
  readonly standbyTasks: readonly string[];
  readonly stateStoreNames: readonly string[];
  readonly topicPartitions: readonly { topic: string; partition: number }[];
}

/** The sub-topology and builder of a store; INVALID_STATE_STORE when the topology has no such store. */
export function storeOf(topology: Topology, storeName: string) {
  const sub = topology.subtopologies().find((s) => s.stores.some((store) => store.name === storeName));
  const builder = sub?.stores.find((store) => store.name === storeName);
  if (!sub || !builder)
    throw new StreamsError('INVALID_STATE_STORE', `the topology has no store named ${storeName}`);
  return { sub, builder };
}

/**
 * A key-value store of the topology, for key lookups and listings: INVALID_STATE_STORE for a window or
 * session store too, whose keys are laid out otherwise (KafkaStreams.windowStore and sessionStore read them).
 */
export function keyValueStoreOf(topology: Topology, storeName: string) {
  const found = storeOf(topology, storeName);
  const type = found.builder.type ?? 'keyValue';
  if (type !== 'keyValue')
    throw new StreamsError('INVALID_STATE_STORE', `${storeName} is a ${type} store, not a key-value store`);
  return found;
}

/** A store's serdes, a task store's or a global store's; throws INVALID_STATE_STORE for an unknown name. */
export function storeSerdes(
  topology: Topology,
  storeName: string,
): { readonly keySerde: Serde<unknown>; readonly valueSerde: Serde<unknown>; readonly global: boolean } {
  const global = topology.globalStore(storeName);
  if (global) return { keySerde: global.keySerde, valueSerde: global.valueSerde, global: true };
  const { builder } = keyValueStoreOf(topology, storeName);
  return { keySerde: builder.keySerde, valueSerde: builder.valueSerde, global: false };
}

/**
 * Every member's server, active and standby tasks, read from the group description: kafkajs hands a member
 * only its own decoded partitions, but the coordinator keeps every member's metadata and assignment bytes.
 */
export async function describeClients(
  admin: Admin,
  groupId: string,
  plan: TopicPlan,
  topology: Topology,
): Promise<StreamsMetadata[]> {
  const { groups } = await admin.describeGroups([groupId]);
  return (groups[0]?.members ?? []).map((member) => {
    const info = decodeMemberInfo(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData);
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const topicPartitions = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    const tasks = new Set<string>();
    for (const { topic, partition } of topicPartitions) {
      const id = taskOf(topic, partition, plan.subtopologies);
      if (id) tasks.add(taskIdString(id));
    }
    const subs = new Set([...tasks].map((t) => Number(t.split('_')[0])));
    const stateStoreNames = topology
      .subtopologies()
      .filter((s) => subs.has(s.id))
      .flatMap((s) => s.stores.map((store) => store.name));
    return {
      memberId: member.memberId,
      hostInfo: info.server,
      activeTasks: [...tasks].sort(),
      standbyTasks: decodeStandbys(decoded?.userData).sort(),
      stateStoreNames,
      topicPartitions,
    };
  });
}

/** The partition of a store's key (as its serde writes it), and who serves that partition. */
export function keyQueryMetadata<K>(
  topology: Topology,
  partitionsOf: (subtopology: number) => number | undefined,
  clients: readonly StreamsMetadata[],
  storeName: string,
  key: K,
  rebalancing = false,
): KeyQueryMetadata {
  const { sub, builder } = storeOf(topology, storeName);
  const partitions = partitionsOf(sub.id) ?? 1;
  const partition = partitionForKey(
    (builder.keySerde as { serialize(k: K): Buffer }).serialize(key),
    partitions,
  );
  const task = taskIdString({ subtopology: sub.id, partition });
  const owner = clients.find((client) => client.activeTasks.includes(task));
  const standbyHosts = clients
    .filter((client) => client.standbyTasks.includes(task) && client.hostInfo !== null)
    .map((client) => client.hostInfo as string);
  if (rebalancing) {
    // Nobody owns the task until the assignment lands, but its last owner keeps what it processed and its
    // standbys stay warm: either may answer within the staleness bound.
    const former = owner?.hostInfo ? [owner.hostInfo] : [];
    return { activeHost: null, standbyHosts: [...former, ...standbyHosts], partition };
  }
  return { activeHost: owner?.hostInfo ?? null, standbyHosts, partition };
}

/** A read-only view of a store over the tasks running here: a key's own task answers it. */
export function localStoreView<K, V>(
  topology: Topology,
  storeName: string,
  tasks: () => readonly StreamTask[],
  partitions: (subtopology: number) => number,
): ReadOnlyKeyValueStore<K, V> {
  const { sub, builder } = keyValueStoreOf(topology, storeName);
  const local = () => tasks().filter((task) => task.id.subtopology === sub.id);
  const top = (task: StreamTask) => task.stores.get(storeName)?.top;
  return {
    get: (key: K) => {
      const partition = partitionForKey(builder.keySerde.serialize(key), partitions(sub.id));
      const task = local().find((t) => t.id.partition === partition);
      return (task && top(task)?.get(key)) as V | undefined;
    },
    range: (from?: K, to?: K) =>
      concat(local().map((t) => top(t)?.range(from, to))) as AsyncIterable<KeyValue<K, V>>,
    all: () => concat(local().map((t) => top(t)?.all())) as AsyncIterable<KeyValue<K, V>>,
    approximateNumEntries: () => local().reduce((n, t) => n + (top(t)?.approximateNumEntries() ?? 0), 0),
  };
}

async function* concat<T>(iterables: readonly (AsyncIterable<T> | undefined)[]): AsyncGenerator<T> {
  for (const iterable of iterables) if (iterable) yield* iterable;
}
