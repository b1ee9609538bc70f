import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  type StreamsState,
  TimeWindows,
} from '../../../src/topology/index.js';
import { LocalQueries } from '../../../src/topology/runtime/local-queries.js';
import { partitionForKey } from '../../../src/topology/runtime/murmur2.js';
import { StreamTask } from '../../../src/topology/runtime/task.js';
import { sessionFetch, windowFetch, windowFetchAll } from '../../../src/topology/runtime/windowed-reads.js';
import { testTaskEnvironment } from '../../support/task-env.js';

const PARTITIONS = 4;
const MINUTE = 60_000;
const partitionOf = (key: string) => partitionForKey(Buffer.from(key, 'utf8'), PARTITIONS);

function windowedTopology() {
  const builder = new StreamsBuilder();
  const grouped = builder.stream<string, string>('in', { valueSerde: Serdes.String() }).groupByKey();
  grouped
    .windowedBy(TimeWindows.ofSizeWithNoGrace(MINUTE))
    .count({ storeName: 'per-minute', retentionMs: 60 * MINUTE });
  grouped
    .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * MINUTE))
    .count({ storeName: 'sessions', retentionMs: 60 * MINUTE });
  builder.stream<string, string>('table-in', { valueSerde: Serdes.String() }).groupByKey().count('counts');
  return builder.build();
}

const env = testTaskEnvironment(PARTITIONS);

describe('windowed reads of the copies kept here', () => {
  const topology = windowedTopology();
  const sub = topology.subtopologies().find((s) => s.stores.some((store) => store.name === 'per-minute'));
  let host: { state: StreamsState; rebalancing: boolean; active: StreamTask[] };
  let local: LocalQueries;
  let offset = 0;

  /** A task for the partition of `key`, having counted `key` at each of `minutes`. */
  const taskWith = (key: string, minutes: number[]) => {
    if (!sub) throw new Error('no sub-topology');
    const task = new StreamTask({ subtopology: sub.id, partition: partitionOf(key) }, sub, topology, env);
    for (const minute of minutes)
      task.process('in', task.id.partition, {
        key: Buffer.from(key),
        value: Buffer.from('x'),
        timestamp: String(minute * MINUTE),
        offset: String(offset++),
      });
    return task;
  };

  beforeEach(() => {
    host = { state: 'RUNNING', rebalancing: false, active: [] };
    local = new LocalQueries(topology, {
      state: () => host.state,
      rebalancing: () => host.rebalancing,
      partitions: () => PARTITIONS,
      activeTasks: () => host.active,
      standbyTasks: () => [],
    });
  });
  afterEach(async () => {
    for (const task of host.active) await task.close();
  });

  it("answers a key's windows and sessions from the task that owns it, active", async () => {
    host.active = [taskWith('alpha', [0, 0, 1, 3, 20])];
    const partition = partitionOf('alpha');
    expect(await windowFetch(local, 'per-minute', 'alpha', 0, 3 * MINUTE)).toEqual({
      kind: 'active',
      partition,
      values: [
        { start: 0, end: MINUTE, value: 2 },
        { start: MINUTE, end: 2 * MINUTE, value: 1 },
        { start: 3 * MINUTE, end: 4 * MINUTE, value: 1 },
      ],
    });
    expect(await sessionFetch(local, 'sessions', 'alpha')).toEqual({
      kind: 'active',
      partition,
      values: [
        { start: 0, end: 3 * MINUTE, value: 4 },
        { start: 20 * MINUTE, end: 20 * MINUTE, value: 1 },
      ],
    });
    // Sessions that end from minute 10 and start until minute 30: the second only.
    expect(await sessionFetch(local, 'sessions', 'alpha', 10 * MINUTE, 30 * MINUTE)).toMatchObject({
      values: [{ start: 20 * MINUTE, end: 20 * MINUTE, value: 1 }],
    });
  });

  it('says not-local, restoring (stale lag 0 when asked for) and not-running as queryLocal does', async () => {
    host.active = [taskWith('alpha', [0])];
    const other = ['beta', 'gamma', 'delta', 'epsilon'].find((k) => partitionOf(k) !== partitionOf('alpha'));
    if (!other) throw new Error('no key of another partition');
    expect(await windowFetch(local, 'per-minute', other, 0, MINUTE)).toEqual({
      kind: 'unavailable',
      partition: partitionOf(other),
      reason: 'not-local',
    });
    host.state = 'REBALANCING';
    host.rebalancing = true;
    const partition = partitionOf('alpha');
    expect(await sessionFetch(local, 'sessions', 'alpha')).toEqual({
      kind: 'unavailable',
      partition,
      reason: 'restoring',
    });
    expect(await windowFetch(local, 'per-minute', 'alpha', 0, MINUTE, { includeStale: true })).toEqual({
      kind: 'stale',
      partition,
      values: [{ start: 0, end: MINUTE, value: 1 }],
      lag: 0,
    });
    host.state = 'PENDING_SHUTDOWN';
    expect(await windowFetch(local, 'per-minute', 'alpha', 0, MINUTE)).toMatchObject({
      reason: 'not-running',
    });
  });

  it('refuses a store of another kind with INVALID_STATE_STORE', async () => {
    expect(() => local.windowedCopy('counts', 'alpha', 'window')).toThrow(/not a window store/);
    expect(() => local.windowedCopy('per-minute', 'alpha', 'session')).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
    );
    expect(() => local.queryLocal('per-minute', 'alpha')).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
    );
  });

  it("reads every key's windows of the active tasks up to a limit, and says when there were more", async () => {
    host.active = [taskWith('alpha', [0, 1, 2])];
    const engine = {
      topology,
      state: 'RUNNING' as const,
      tasks: () => host.active,
      partitions: () => PARTITIONS,
    };
    const range = { storeName: 'per-minute', timeFrom: 0, timeTo: 10 * MINUTE };
    expect(await windowFetchAll(engine, range)).toEqual({
      entries: [0, 1, 2].map((m) => ({ key: 'alpha', start: m * MINUTE, end: (m + 1) * MINUTE, value: 1 })),
      more: false,
    });
    expect(await windowFetchAll(engine, range, { limit: 2 })).toMatchObject({ more: true });
    await expect(windowFetchAll({ ...engine, state: 'CREATED' }, range)).rejects.toMatchObject({
      code: 'INVALID_STATE_STORE',
    });
  });
});
