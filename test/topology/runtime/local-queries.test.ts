import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyValue } from '../../../src/stores/index.js';
import { Serdes, StreamsBuilder, type StreamsState } from '../../../src/topology/index.js';
import type { PartitionReader, ReadRecord } from '../../../src/topology/kafka/partition-reader.js';
import { LocalQueries } from '../../../src/topology/runtime/local-queries.js';
import { partitionForKey } from '../../../src/topology/runtime/murmur2.js';
import type { RestoreProgress } from '../../../src/topology/runtime/restorer.js';
import { StandbyTask } from '../../../src/topology/runtime/standby-task.js';
import { StreamTask } from '../../../src/topology/runtime/task.js';
import type { Topology } from '../../../src/topology/topology.js';
import { testTaskEnvironment } from '../../support/task-env.js';

const PARTITIONS = 4;
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

function countTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('in', { valueSerde: Serdes.String() }).groupByKey().count('counts');
  return builder.build();
}

const partitionOf = (key: string) => partitionForKey(Buffer.from(key, 'utf8'), PARTITIONS);

const env = testTaskEnvironment(PARTITIONS);

/** A stand-in for the KafkaStreams that owns the queries: its state, tasks and standbys, set by each test. */
function fakeHost() {
  return {
    state: 'RUNNING' as StreamsState,
    rebalancing: false,
    started: true,
    active: [] as StreamTask[],
    standbys: [] as StandbyTask[],
  };
}

async function collect<K, V>(entries: AsyncIterable<KeyValue<K, V>>): Promise<[K, V][]> {
  const out: [K, V][] = [];
  for await (const { key, value } of entries) out.push([key, value]);
  return out;
}

describe('LocalQueries', () => {
  const topology = countTopology();
  const sub = topology.subtopologies()[0];
  let host: ReturnType<typeof fakeHost>;
  let queries: LocalQueries;
  let offset = 0;

  const newTask = (partition: number) => {
    if (!sub) throw new Error('no sub-topology');
    return new StreamTask({ subtopology: sub.id, partition }, sub, topology, env);
  };
  /** Counts `key` once in whichever of `tasks` owns its partition. */
  const count = (tasks: StreamTask[], key: string) => {
    const task = tasks.find((t) => t.id.partition === partitionOf(key));
    if (!task) throw new Error(`no task for ${key}`);
    task.process('in', task.id.partition, {
      key: Buffer.from(key),
      value: Buffer.from('x'),
      timestamp: '1',
      offset: String(offset++),
    });
  };

  beforeEach(() => {
    host = fakeHost();
    queries = new LocalQueries(topology, {
      state: () => host.state,
      rebalancing: () => host.rebalancing,
      partitions: () => (host.started ? PARTITIONS : undefined),
      activeTasks: () => host.active,
      standbyTasks: () => host.standbys,
    });
  });

  afterEach(async () => {
    for (const task of host.active) await task.close();
    for (const standby of host.standbys) await standby.stop();
  });

  it('answers active from the task that owns the key, with what its cache holds, and not-local for other partitions', () => {
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    const owned = partitionOf('alpha');
    host.active = [newTask(owned)];
    count(host.active, 'alpha');
    count(host.active, 'alpha');
    for (const key of keys) {
      const partition = partitionOf(key);
      if (partition === owned) {
        expect(queries.queryLocal('counts', key)).toEqual({
          kind: 'active',
          partition,
          value: key === 'alpha' ? 2 : undefined,
        });
      } else {
        expect(queries.queryLocal('counts', key, { includeStale: true })).toEqual({
          kind: 'unavailable',
          partition,
          reason: 'not-local',
        });
      }
    }
    expect(queries.isReady()).toBe(true);
  });

  it('answers not-running when the instance is neither RUNNING nor REBALANCING', () => {
    host.active = [newTask(partitionOf('alpha'))];
    for (const state of ['CREATED', 'PENDING_SHUTDOWN', 'NOT_RUNNING', 'ERROR'] as const) {
      host.state = state;
      expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
        kind: 'unavailable',
        partition: partitionOf('alpha'),
        reason: 'not-running',
      });
      expect(queries.isReady()).toBe(false);
      expect(() => queries.localEntries('counts')).toThrow(
        expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
      );
    }
  });

  it('throws INVALID_STATE_STORE for a store the topology lacks, and before the partitions are known', () => {
    expect(() => queries.queryLocal('nope', 'alpha')).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
    );
    host.started = false;
    expect(() => queries.queryLocal('counts', 'alpha')).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
    );
  });

  it('answers from an active task kept across a rebalance only as stale, lag 0', () => {
    host.active = [newTask(partitionOf('alpha'))];
    count(host.active, 'alpha');
    host.state = 'REBALANCING';
    host.rebalancing = true;
    const partition = partitionOf('alpha');
    expect(queries.queryLocal('counts', 'alpha')).toEqual({
      kind: 'unavailable',
      partition,
      reason: 'restoring',
    });
    expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
      kind: 'stale',
      partition,
      value: 1,
      lag: 0,
    });
    expect(queries.isReady()).toBe(false);
  });

  it('answers from a restoring task only with includeStale and once its lag is known, and is not ready meanwhile', async () => {
    const partition = partitionOf('alpha');
    const task = newTask(partition);
    count([task], 'alpha');
    let report: ((progress: RestoreProgress) => void) | undefined;
    let finish: (() => void) | undefined;
    const restoring = queries.whileRestoring(task, (onProgress) => {
      report = onProgress;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    const progress = { store: 'counts', topic: 'app-counts-changelog', partition, from: 0n, restored: 0 };
    const unavailable = { kind: 'unavailable', partition, reason: 'restoring' };
    expect(queries.isReady()).toBe(false);
    expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual(unavailable);
    expect(queries.localStoreLags()).toEqual([
      { store: 'counts', partition, role: 'active', restoring: true, lag: undefined },
    ]);

    report?.({ ...progress, to: 10n, position: 4n });
    expect(queries.queryLocal('counts', 'alpha')).toEqual(unavailable);
    expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
      kind: 'stale',
      partition,
      value: 1,
      lag: 6,
    });
    expect(queries.localStoreLags()).toEqual([
      { store: 'counts', partition, role: 'active', restoring: true, lag: 6 },
    ]);

    finish?.();
    await restoring;
    host.active = [task];
    expect(queries.isReady()).toBe(true);
    expect(queries.queryLocal('counts', 'alpha')).toEqual({ kind: 'active', partition, value: 1 });
    expect(queries.localStoreLags()).toEqual([
      { store: 'counts', partition, role: 'active', restoring: false, lag: 0 },
    ]);
  });

  it('stops tracking a task whose restore failed', async () => {
    const task = newTask(0);
    await expect(
      queries.whileRestoring(task, async () => Promise.reject(new Error('no broker'))),
    ).rejects.toThrow('no broker');
    expect(queries.isReady()).toBe(true);
    expect(queries.localStoreLags()).toEqual([]);
    await task.close();
  });

  it('merges the entries of every local task in serialized-key order, from a key inclusive', async () => {
    const keys = ['z', 'a', 'é', '\u{1D11E}', '\uFF01', 'ab', 'm', 'B', '\u00FF', 'q'];
    host.active = [3, 1, 0, 2].map(newTask);
    for (const key of keys) count(host.active, key);
    count(host.active, 'a');
    // Some entries reach the bottom store, later ones stay in the caches: a page sees both.
    for (const task of host.active) task.flush();
    count(host.active, 'q');
    count(host.active, 'new');
    const bytes = (key: string) => Buffer.from(key, 'utf8');
    const sorted = [...keys, 'new'].sort((x, y) => Buffer.compare(bytes(x), bytes(y)));
    expect(sorted).not.toEqual([...keys, 'new'].sort());
    const expected = sorted.map((key) => [key, key === 'a' || key === 'q' ? 2 : 1]);

    expect(await collect(queries.localEntries<string, number>('counts'))).toEqual(expected);
    expect(await collect(queries.localEntries<string, number>('counts', { from: 'm' }))).toEqual(
      expected.slice(sorted.indexOf('m')),
    );
    expect(await collect(queries.localEntries<string, number>('counts', { from: 'é' }))).toEqual(
      expected.slice(sorted.indexOf('é')),
    );
    expect(await collect(queries.localEntries<string, number>('counts', { from: '\u{1F600}' }))).toEqual([]);
  });

  describe('with a standby', () => {
    const keyBytes = (key: string) => Buffer.from(key, 'utf8');
    const changelog: ReadRecord[] = [];
    let endGate: Promise<void>;
    let openEnd: () => void;
    let readGate: Promise<void>;
    let openRead: () => void;
    let failRead: boolean;
    let readFailed: () => void;
    let failed: Promise<void>;
    const reader = {
      endOffset: async () => {
        await endGate;
        return BigInt(changelog.length);
      },
      read: async (
        _t: string,
        _p: number,
        from: bigint,
        to: bigint,
        onBatch: (r: ReadRecord[]) => Promise<void>,
      ) => {
        await readGate;
        if (failRead) {
          readFailed();
          throw new Error('changelog unreadable');
        }
        await onBatch(changelog.slice(Number(from), Number(to)));
        return to;
      },
    } as unknown as PartitionReader;
    const append = (key: string, value: number) =>
      changelog.push({
        offset: String(changelog.length),
        key: keyBytes(key),
        value: Serdes.Long().serialize(value),
        timestamp: '0',
        headers: {},
      });

    beforeEach(() => {
      changelog.length = 0;
      failRead = false;
      failed = new Promise((resolve) => {
        readFailed = resolve;
      });
      endGate = new Promise((resolve) => {
        openEnd = resolve;
      });
      readGate = new Promise((resolve) => {
        openRead = resolve;
      });
    });

    async function startStandby(partition: number): Promise<StandbyTask> {
      const folder = await mkdtemp(join(tmpdir(), 'probestream-standby-'));
      folders.push(folder);
      const stores = StandbyTask.storesOf(
        sub as NonNullable<typeof sub>,
        (store) => join(folder, store),
        (store) => `app-${store}-changelog`,
      );
      const standby = new StandbyTask({ subtopology: 0, partition }, stores, reader, () => {});
      standby.start(5);
      host.standbys = [standby];
      return standby;
    }

    const lagOf = () => queries.localStoreLags().find((lag) => lag.role === 'standby')?.lag;

    it('answers not-local without includeStale; with it, restoring until the standby knows its lag, then stale with that lag', async () => {
      const partition = partitionOf('alpha');
      append('alpha', 3);
      append('alpha', 4);
      await startStandby(partition);
      const restoring = { kind: 'unavailable', partition, reason: 'restoring' };
      expect(queries.queryLocal('counts', 'alpha')).toEqual({
        kind: 'unavailable',
        partition,
        reason: 'not-local',
      });
      expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual(restoring);
      expect(queries.localStoreLags()).toEqual([
        { store: 'counts', partition, role: 'standby', restoring: true, lag: undefined },
      ]);

      openEnd();
      await expect.poll(lagOf).toBe(2);
      expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
        kind: 'stale',
        partition,
        value: undefined,
        lag: 2,
      });

      openRead();
      await expect.poll(lagOf).toBe(0);
      expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
        kind: 'stale',
        partition,
        value: 4,
        lag: 0,
      });
      expect(queries.queryLocal('counts', 'alpha')).toEqual({
        kind: 'unavailable',
        partition,
        reason: 'not-local',
      });
      expect(queries.localStoreLags()).toEqual([
        { store: 'counts', partition, role: 'standby', restoring: false, lag: 0 },
      ]);

      // A record written later: the next poll sees the new end, then applies it.
      append('alpha', 5);
      await expect
        .poll(() => queries.queryLocal('counts', 'alpha', { includeStale: true }))
        .toEqual({
          kind: 'stale',
          partition,
          value: 5,
          lag: 0,
        });
    });

    it('forgets its lag when it can no longer read its changelog, and answers restoring', async () => {
      const partition = partitionOf('alpha');
      append('alpha', 3);
      failRead = true;
      await startStandby(partition);
      openEnd();
      await expect.poll(lagOf).toBe(1);
      openRead();
      await failed;
      await new Promise((resolve) => setImmediate(resolve));
      expect(lagOf()).toBeUndefined();
      expect(queries.localStoreLags()[0]?.restoring).toBe(true);
      expect(queries.queryLocal('counts', 'alpha', { includeStale: true })).toEqual({
        kind: 'unavailable',
        partition,
        reason: 'restoring',
      });
    });
  });
});
