import { AssignerProtocol } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  assignStandbys,
  assignTasks,
  assignTasksBySubtopology,
  decodeMemberInfo,
  encodeMemberInfo,
  type MemberInfo,
  streamsAssignor,
} from '../../../src/topology/runtime/assignor.js';

const tasks = (n: number, subtopology = 0) => Array.from({ length: n }, (_, p) => `${subtopology}_${p}`);

function counts(assignment: Map<string, string[]>): Record<string, number> {
  return Object.fromEntries([...assignment].map(([id, list]) => [id, list.length]));
}

/** Which member runs each task. */
function owners(assignment: Map<string, string[]>): Map<string, string> {
  const byTask = new Map<string, string>();
  for (const [member, list] of assignment) for (const task of list) byTask.set(task, member);
  return byTask;
}

function allAssigned(assignment: Map<string, string[]>): string[] {
  return [...assignment.values()].flat().sort();
}

describe('assignTasksBySubtopology', () => {
  it("spreads each sub-topology's tasks over the members, also when one member ran them all before", () => {
    const all = [...tasks(4, 0), ...tasks(4, 1), ...tasks(4, 2), ...tasks(4, 3)];
    const previous = new Map([['a', all]]);
    const assignment = assignTasksBySubtopology(['a', 'b'], previous, all);
    for (const sub of [0, 1, 2, 3]) {
      for (const member of ['a', 'b']) {
        expect(assignment.get(member)?.filter((t) => t.startsWith(`${sub}_`)).length).toBe(2);
      }
    }
    // Sticky within each sub-topology: a keeps the first half of what it ran.
    expect(assignment.get('a')?.filter((t) => t.startsWith('0_'))).toEqual(['0_0', '0_1']);
  });

  it('gives odd tasks of successive sub-topologies to different members', () => {
    const all = [...tasks(3, 0), ...tasks(3, 1), ...tasks(3, 2)];
    expect(counts(assignTasksBySubtopology(['a', 'b'], new Map(), all))).toEqual({ a: 5, b: 4 });
    expect(allAssigned(assignTasksBySubtopology(['a', 'b'], new Map(), all))).toEqual([...all].sort());
  });
});

describe('assignTasks', () => {
  it('gives each of 3 members 2 of 6 tasks', () => {
    const assignment = assignTasks(['a', 'b', 'c'], new Map(), tasks(6));
    expect(counts(assignment)).toEqual({ a: 2, b: 2, c: 2 });
    expect(allAssigned(assignment)).toEqual(tasks(6));
  });

  it('gives 4 members 2, 2, 1 and 1 of 6 tasks', () => {
    const assignment = assignTasks(['a', 'b', 'c', 'd'], new Map(), tasks(6));
    expect(Object.values(counts(assignment)).sort()).toEqual([1, 1, 2, 2]);
    expect(allAssigned(assignment)).toEqual(tasks(6));
  });

  it.each([
    [1, 5],
    [2, 7],
    [3, 10],
    [5, 12],
    [7, 7],
  ])('gives each of %i members the floor or ceiling of %i tasks, each task once', (m, t) => {
    const members = Array.from({ length: m }, (_, i) => `m${i}`);
    const assignment = assignTasks(members, new Map(), tasks(t));
    for (const size of Object.values(counts(assignment))) {
      expect([Math.floor(t / m), Math.ceil(t / m)]).toContain(size);
    }
    expect(allAssigned(assignment)).toEqual(tasks(t).sort());
  });

  it('answers the same assignment for the same input, whatever the order of the member ids', () => {
    const previous = new Map([['b', ['0_1', '0_4']]]);
    const first = assignTasks(['c', 'a', 'b'], previous, tasks(7));
    const second = assignTasks(['a', 'b', 'c'], previous, tasks(7));
    expect(second).toEqual(first);
    expect(assignTasks(['c', 'a', 'b'], previous, tasks(7))).toEqual(first);
  });

  it('moves at most 2 tasks when a 4th member joins 3 that ran 6, none from a member that keeps its count', () => {
    const before = assignTasks(['a', 'b', 'c'], new Map(), tasks(6));
    const after = assignTasks(['a', 'b', 'c', 'd'], before, tasks(6));
    expect(Object.values(counts(after)).sort()).toEqual([1, 1, 2, 2]);
    const was = owners(before);
    const moved = [...owners(after)].filter(([task, member]) => was.get(task) !== member);
    expect(moved.length).toBeLessThanOrEqual(2);
    for (const [task] of moved) {
      const from = was.get(task) as string;
      expect(after.get(from)?.length).toBeLessThan(before.get(from)?.length ?? 0);
    }
    for (const member of ['a', 'b', 'c']) {
      for (const task of after.get(member) ?? []) expect(before.get(member)).toContain(task);
    }
  });

  it('moves only the tasks of a member that leaves', () => {
    const before = assignTasks(['a', 'b', 'c', 'd'], new Map(), tasks(6));
    const after = assignTasks(['a', 'b', 'd'], before, tasks(6));
    expect(Object.values(counts(after))).toEqual([2, 2, 2]);
    for (const member of ['a', 'b', 'd']) {
      expect(after.get(member)).toEqual(expect.arrayContaining(before.get(member) ?? []));
    }
    const moved = [...owners(after)].filter(([task, member]) => owners(before).get(task) !== member);
    expect(moved.map(([task]) => task).sort()).toEqual([...(before.get('c') ?? [])].sort());
  });

  it('lets a returning member keep the tasks it ran, rather than a newcomer whose id sorts first', () => {
    // The member restarted and rejoined under a new id; its user data still names its tasks.
    const previous = new Map([
      ['other', ['0_0', '0_1']],
      ['z-returning', ['0_2', '0_3']],
    ]);
    const assignment = assignTasks(['a-newcomer', 'other', 'z-returning'], previous, tasks(6));
    expect(assignment.get('z-returning')).toEqual(expect.arrayContaining(['0_2', '0_3']));
    expect(assignment.get('other')).toEqual(expect.arrayContaining(['0_0', '0_1']));
    expect(assignment.get('a-newcomer')?.sort()).toEqual(['0_4', '0_5']);
  });

  it('ignores previous tasks that are unknown or not task ids', () => {
    const previous = new Map([
      ['a', ['9_9', 'garbage', '', '0_7']],
      ['b', ['0_0']],
    ]);
    const assignment = assignTasks(['a', 'b'], previous, tasks(4));
    expect(allAssigned(assignment)).toEqual(tasks(4));
    expect(counts(assignment)).toEqual({ a: 2, b: 2 });
    expect(assignment.get('b')).toContain('0_0');
  });

  it('gives one task to one member when two claim it', () => {
    const previous = new Map([
      ['a', ['0_0', '0_1']],
      ['b', ['0_0', '0_1']],
    ]);
    const assignment = assignTasks(['a', 'b'], previous, tasks(2));
    expect(allAssigned(assignment)).toEqual(['0_0', '0_1']);
    expect(counts(assignment)).toEqual({ a: 1, b: 1 });
  });

  it('answers an empty map for no members', () => {
    expect(assignTasks([], new Map(), tasks(3))).toEqual(new Map());
  });

  it('gives some members nothing when there are more members than tasks', () => {
    const assignment = assignTasks(['a', 'b', 'c', 'd', 'e'], new Map(), tasks(3));
    expect(Object.values(counts(assignment)).sort()).toEqual([0, 0, 1, 1, 1]);
    expect(allAssigned(assignment)).toEqual(tasks(3));
  });
});

describe('assignStandbys', () => {
  it("puts each task's standbys on other members, sticky first, then the least loaded", () => {
    const active = new Map([
      ['a', ['0_0', '0_1']],
      ['b', ['0_2']],
      ['c', ['0_3']],
    ]);
    const standbys = assignStandbys(active, new Map([['c', ['0_0']]]), 1);
    for (const [member, tasks] of standbys) {
      for (const task of tasks) expect(active.get(member)).not.toContain(task);
    }
    expect(standbys.get('c')).toContain('0_0');
    expect([...standbys.values()].flat().sort()).toEqual(['0_0', '0_1', '0_2', '0_3']);
    expect(assignStandbys(active, new Map(), 2).get('a')).toEqual(['0_2', '0_3']);
    expect([...assignStandbys(active, new Map(), 0).values()].flat()).toEqual([]);
  });

  it('assigns an orphaned task to the member that kept its standby', () => {
    const assignment = assignTasks(
      ['a', 'b'],
      new Map([['a', ['0_0']]]),
      ['0_0', '0_1'],
      new Map([['b', ['0_1']]]),
    );
    expect(assignment.get('b')).toEqual(['0_1']);
  });
});

describe('encodeMemberInfo and decodeMemberInfo', () => {
  it('round-trip a server and tasks', () => {
    const info: MemberInfo = { server: 'host-1:8080', tasks: ['0_1', '1_0'], standbys: ['1_1'] };
    expect(decodeMemberInfo(encodeMemberInfo(info))).toEqual(info);
    expect(decodeMemberInfo(encodeMemberInfo({ server: null, tasks: [] }))).toEqual({
      server: null,
      tasks: [],
      standbys: [],
    });
  });

  it.each([
    ['garbage', Buffer.from('not json')],
    ['an empty buffer', Buffer.alloc(0)],
    ['null', null],
    ['undefined', undefined],
    ['another version', Buffer.from(JSON.stringify({ v: 2, server: 'h:1', tasks: ['0_0'] }))],
    ['a JSON number', Buffer.from('42')],
  ])('reads %s as a member with no server and no tasks', (_, data) => {
    expect(decodeMemberInfo(data)).toEqual({ server: null, tasks: [], standbys: [] });
  });

  it('drops tasks that are not strings and a server that is not one', () => {
    const data = Buffer.from(JSON.stringify({ v: 1, server: 7, tasks: ['0_0', 3, null] }));
    expect(decodeMemberInfo(data)).toEqual({ server: null, tasks: ['0_0'], standbys: [] });
  });
});

describe('streamsAssignor with kafkajs', () => {
  const subtopologies = [
    { id: 0, topics: ['a', 'b'], partitions: 3 },
    { id: 1, topics: ['app-r-repartition'], partitions: 3 },
  ];
  const assigner = streamsAssignor({
    subtopologies: () => subtopologies,
    memberInfo: () => ({ server: 'h:1', tasks: [] }),
  })({ cluster: undefined as never, groupId: 'g', logger: undefined as never });

  function member(memberId: string, info: MemberInfo) {
    const topics = ['a', 'b', 'app-r-repartition'];
    return {
      memberId,
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: encodeMemberInfo(info),
      }),
    };
  }

  async function assign(members: ReturnType<typeof member>[]) {
    const result = await assigner.assign({ members, topics: ['a', 'b', 'app-r-repartition'] });
    return new Map(
      result.map(({ memberId, memberAssignment }) => {
        const decoded = AssignerProtocol.MemberAssignment.decode(memberAssignment);
        return [memberId, decoded?.assignment ?? {}] as const;
      }),
    );
  }

  it('names itself and advertises its server in its metadata', () => {
    expect(assigner.name).toBe('probestream');
    const { metadata } = assigner.protocol({ topics: ['a'] });
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
    expect(decoded?.topics).toEqual(['a']);
    expect(decodeMemberInfo(decoded?.userData)).toEqual({ server: 'h:1', tasks: [], standbys: [] });
  });

  it('assigns every partition of every topic exactly once, co-partitioned', async () => {
    const assignment = await assign([
      member('m1', { server: 'h:1', tasks: [] }),
      member('m2', { server: 'h:2', tasks: [] }),
    ]);
    expect([...assignment.keys()].sort()).toEqual(['m1', 'm2']);
    for (const topic of ['a', 'b', 'app-r-repartition']) {
      const partitions = [...assignment.values()].flatMap((byTopic) => byTopic[topic] ?? []);
      expect(partitions.sort()).toEqual([0, 1, 2]);
    }
    for (const byTopic of assignment.values()) {
      expect([...(byTopic.a ?? [])].sort()).toEqual([...(byTopic.b ?? [])].sort());
    }
    const taskCounts = [...assignment.values()].map(
      (byTopic) => (byTopic.a?.length ?? 0) + (byTopic['app-r-repartition']?.length ?? 0),
    );
    expect(taskCounts).toEqual([3, 3]);
  });

  it('keeps each member on the tasks its user data says it ran', async () => {
    const assignment = await assign([
      member('m1', { server: 'h:1', tasks: ['0_2', '1_0', '1_1'] }),
      member('m2', { server: 'h:2', tasks: ['0_0', '0_1', '1_2'] }),
    ]);
    expect(assignment.get('m1')).toEqual({ a: [2], b: [2], 'app-r-repartition': [0, 1] });
    expect(assignment.get('m2')).toEqual({ a: [0, 1], b: [0, 1], 'app-r-repartition': [2] });
  });

  it('gives a member with unreadable user data a fair share', async () => {
    const unreadable = {
      memberId: 'm2',
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ['a'],
        userData: Buffer.from('{oops'),
      }),
    };
    const assignment = await assign([member('m1', { server: 'h:1', tasks: [] }), unreadable]);
    const m2 = assignment.get('m2') ?? {};
    expect((m2.a?.length ?? 0) + (m2['app-r-repartition']?.length ?? 0)).toBe(3);
  });
});
