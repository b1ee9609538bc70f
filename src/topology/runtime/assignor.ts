import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import type { TaskId } from '../record.js';
import { parseTaskId, taskIdString } from '../record.js';

export const ASSIGNOR_NAME = 'probestream';
const USER_DATA_VERSION = 1;

/** What a member tells the group's leader when it joins: where it answers queries and what it ran. */
export interface MemberInfo {
  readonly server: string | null;
  readonly tasks: readonly string[];
  /** Tasks this member keeps a standby copy of (warm state, close to the changelog's end). */
  readonly standbys?: readonly string[];
}

/** A sub-topology as the assignor sees it: the physical topics it reads and its task count. */
export interface AssignableSubtopology {
  readonly id: number;
  readonly topics: readonly string[];
  readonly partitions: number;
}

export function encodeMemberInfo(info: MemberInfo): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: USER_DATA_VERSION,
      server: info.server,
      tasks: info.tasks,
      standbys: info.standbys ?? [],
    }),
  );
}

/** Reads a member's user data; anything unreadable counts as a member with no history and no server. */
export function decodeMemberInfo(userData: Buffer | null | undefined): MemberInfo {
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  try {
    const parsed = JSON.parse(userData?.toString('utf8') ?? '') as {
      v?: number;
      server?: unknown;
      tasks?: unknown;
      standbys?: unknown;
    };
    if (parsed.v !== USER_DATA_VERSION) return { server: null, tasks: [], standbys: [] };
    return {
      server: typeof parsed.server === 'string' ? parsed.server : null,
      tasks: strings(parsed.tasks),
      standbys: strings(parsed.standbys),
    };
  } catch {
    return { server: null, tasks: [], standbys: [] };
  }
}

/** The standby tasks a member is to keep, carried in its assignment's user data. */
export function encodeStandbys(standbys: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ v: USER_DATA_VERSION, standbys }));
}

export function decodeStandbys(userData: Buffer | null | undefined): string[] {
  return decodeMemberInfo(userData).standbys as string[];
}

/**
 * Balanced and sticky: every member gets ⌊T/M⌋ or ⌈T/M⌉ tasks; a member keeps the tasks it ran before as far
 * as that balance allows, so a rebalance moves as few tasks (and as little state) as it can.
 */
export function assignTasks(
  memberIds: readonly string[],
  previous: ReadonlyMap<string, readonly string[]>,
  tasks: readonly string[],
  warm: ReadonlyMap<string, readonly string[]> = new Map(),
  load: ReadonlyMap<string, number> = new Map(),
): Map<string, string[]> {
  const members = [...memberIds].sort();
  const result = new Map(members.map((id) => [id, [] as string[]]));
  if (members.length === 0) return result;
  const base = Math.floor(tasks.length / members.length);
  let bigger = tasks.length % members.length;
  const valid = new Set(tasks);
  const taken = new Set<string>();
  const capacity = (id: string) => {
    const size = result.get(id)?.length ?? 0;
    return size < base || (size === base && bigger > 0);
  };
  const give = (id: string, task: string) => {
    const list = result.get(id) as string[];
    if (list.length === base) bigger -= 1;
    list.push(task);
    taken.add(task);
  };
  // Members that ran the most keep first, so a returning member does not lose to a newcomer.
  const byHistory = [...members].sort(
    (a, b) => (previous.get(b)?.length ?? 0) - (previous.get(a)?.length ?? 0) || a.localeCompare(b),
  );
  for (const id of byHistory) {
    for (const task of [...(previous.get(id) ?? [])].sort()) {
      if (valid.has(task) && !taken.has(task) && capacity(id)) give(id, task);
    }
  }
  // A task whose owner is gone goes, balance allowing, to a member with a standby copy: no full restore.
  for (const id of members) {
    for (const task of [...(warm.get(id) ?? [])].sort()) {
      if (valid.has(task) && !taken.has(task) && capacity(id)) give(id, task);
    }
  }
  for (const task of tasks) {
    if (taken.has(task)) continue;
    const least = members
      .filter(capacity)
      .sort(
        (a, b) =>
          (result.get(a)?.length ?? 0) - (result.get(b)?.length ?? 0) ||
          (load.get(a) ?? 0) - (load.get(b) ?? 0) ||
          a.localeCompare(b),
      )[0];
    if (least === undefined) throw new Error('assignor ran out of capacity: a bug');
    give(least, task);
  }
  return result;
}

/**
 * assignTasks for each sub-topology in turn: every member gets its share of each sub-topology's tasks, not
 * just of the total, so that one member does not end up with every task of the busiest sub-topology (and
 * all of one store's keys). Odd tasks go to the members with the fewest tasks so far.
 */
export function assignTasksBySubtopology(
  memberIds: readonly string[],
  previous: ReadonlyMap<string, readonly string[]>,
  tasks: readonly string[],
  warm: ReadonlyMap<string, readonly string[]> = new Map(),
): Map<string, string[]> {
  const result = new Map([...memberIds].sort().map((id) => [id, [] as string[]]));
  const groups = new Map<number, string[]>();
  for (const task of tasks) {
    const sub = parseTaskId(task).subtopology;
    groups.set(sub, [...(groups.get(sub) ?? []), task]);
  }
  for (const sub of [...groups.keys()].sort((a, b) => a - b)) {
    const load = new Map([...result].map(([id, list]) => [id, list.length]));
    const part = assignTasks(memberIds, previous, groups.get(sub) as string[], warm, load);
    for (const [id, list] of part) result.get(id)?.push(...list);
  }
  return result;
}

/**
 * Standby copies: `replicas` per task, never on the member running it, preferring members that already
 * keep one (sticky), then the members with the fewest standbys.
 */
export function assignStandbys(
  active: ReadonlyMap<string, readonly string[]>,
  previousStandbys: ReadonlyMap<string, readonly string[]>,
  replicas: number,
): Map<string, string[]> {
  const members = [...active.keys()].sort();
  const result = new Map(members.map((id) => [id, [] as string[]]));
  const owner = new Map<string, string>();
  for (const [id, tasks] of active) for (const task of tasks) owner.set(task, id);
  for (const task of [...owner.keys()].sort()) {
    const candidates = members.filter((id) => id !== owner.get(task));
    const chosen = candidates
      .sort(
        (a, b) =>
          Number(previousStandbys.get(b)?.includes(task) ?? false) -
            Number(previousStandbys.get(a)?.includes(task) ?? false) ||
          (result.get(a)?.length ?? 0) - (result.get(b)?.length ?? 0) ||
          a.localeCompare(b),
      )
      .slice(0, replicas);
    for (const id of chosen) result.get(id)?.push(task);
  }
  return result;
}

/** The topic partitions that make up a task. */
export function taskPartitions(
  task: TaskId,
  subtopologies: readonly AssignableSubtopology[],
): { topic: string; partition: number }[] {
  const sub = subtopologies.find((s) => s.id === task.subtopology);
  return (sub?.topics ?? []).map((topic) => ({ topic, partition: task.partition }));
}

/** Which task a topic partition belongs to. */
export function taskOf(
  topic: string,
  partition: number,
  subtopologies: readonly AssignableSubtopology[],
): TaskId | undefined {
  const sub = subtopologies.find((s) => s.topics.includes(topic));
  return sub ? { subtopology: sub.id, partition } : undefined;
}

/**
 * The kafkajs partition assigner: assigns whole tasks (the same partition of every topic a sub-topology
 * reads goes to one member, which is what co-partitioned joins need), and carries each member's
 * application.server in its metadata so that any instance can map partitions to hosts.
 */
export function streamsAssignor(options: {
  subtopologies: () => readonly AssignableSubtopology[];
  memberInfo: () => MemberInfo;
  /** num.standby.replicas; default 0. */
  standbyReplicas?: number;
}): PartitionAssigner {
  return () => ({
    name: ASSIGNOR_NAME,
    version: 1,
    protocol: ({ topics }) => ({
      name: ASSIGNOR_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: encodeMemberInfo(options.memberInfo()),
      }),
    }),
    assign: async ({ members }) => {
      const subtopologies = options.subtopologies();
      const tasks = subtopologies.flatMap((sub) =>
        Array.from({ length: sub.partitions }, (_, partition) =>
          taskIdString({ subtopology: sub.id, partition }),
        ),
      );
      const infos = new Map(
        members.map((member) => {
          const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
          return [member.memberId, decodeMemberInfo(metadata?.userData)] as const;
        }),
      );
      const previous = new Map([...infos].map(([id, info]) => [id, info.tasks]));
      const warm = new Map([...infos].map(([id, info]) => [id, info.standbys ?? []]));
      const assignment = assignTasksBySubtopology(
        members.map((m) => m.memberId),
        previous,
        tasks,
        warm,
      );
      const standbys = assignStandbys(assignment, warm, options.standbyReplicas ?? 0);
      return [...assignment].map(([memberId, memberTasks]) => {
        const byTopic: Record<string, number[]> = {};
        for (const task of memberTasks) {
          for (const { topic, partition } of taskPartitions(parseTaskId(task), subtopologies)) {
            byTopic[topic] = [...(byTopic[topic] ?? []), partition];
          }
        }
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: byTopic,
            userData: encodeStandbys(standbys.get(memberId) ?? []),
          }),
        };
      });
    },
  });
}
