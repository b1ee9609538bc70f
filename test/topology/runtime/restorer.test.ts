import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, LevelDbKeyValueStore } from '../../../src/stores/index.js';
import type { PartitionReader, ReadRecord } from '../../../src/topology/kafka/partition-reader.js';
import { ChangelogLag } from '../../../src/topology/runtime/changelog-lag.js';
import { type RestoreProgress, restoreStore } from '../../../src/topology/runtime/restorer.js';

const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

function record(offset: number, key: string, value: string | null): ReadRecord {
  return {
    offset: String(offset),
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: '0',
    headers: {},
  };
}

/** A compacted changelog: records at offsets 0, 2 and 5, a transaction marker at 6, so its end is 7. */
const changelog = [record(0, 'a', '1'), record(2, 'b', '2'), record(5, 'a', null)];

/** Serves `changelog` in batches of two records, as a PartitionReader would. */
function fakeReader(end: bigint): PartitionReader {
  return {
    endOffset: async () => end,
    read: async (_topic: string, _partition: number, from: bigint, to: bigint, onBatch) => {
      const records = changelog.filter((r) => BigInt(r.offset) >= from && BigInt(r.offset) < to);
      for (let i = 0; i < records.length; i += 2) await onBatch(records.slice(i, i + 2));
      return to;
    },
  } as Partial<PartitionReader> as PartitionReader;
}

describe('restoreStore', () => {
  it('reports the end it looked up and the position after every batch, ending at the end past the last record', async () => {
    const store = new InMemoryKeyValueStore('s');
    const seen: Pick<RestoreProgress, 'to' | 'position' | 'restored'>[] = [];
    const restored = await restoreStore({
      reader: fakeReader(7n),
      store,
      storeName: 's',
      topic: 'cl',
      partition: 0,
      onProgress: ({ to, position, restored }) => void seen.push({ to, position, restored }),
    });
    expect(restored).toBe(3);
    expect(seen).toEqual([
      { to: 7n, position: 0n, restored: 0 },
      { to: 7n, position: 3n, restored: 2 },
      { to: 7n, position: 6n, restored: 3 },
      { to: 7n, position: 7n, restored: 3 },
    ]);
    expect(store.get(Buffer.from('b'))?.toString()).toBe('2');
    expect(store.get(Buffer.from('a'))).toBeUndefined();
  });

  it('starts a persistent store at its checkpoint, and reports it caught up at once when nothing is new', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'probestream-restorer-'));
    folders.push(folder);
    const store = await LevelDbKeyValueStore.open(join(folder, 's'), 's');
    const lag = new ChangelogLag();
    const lags: (number | undefined)[] = [];
    const options = {
      reader: fakeReader(7n),
      store,
      storeName: 's',
      topic: 'cl',
      partition: 0,
      onProgress: (progress: RestoreProgress) => {
        lag.observe(progress);
        lags.push(lag.lag);
      },
    };
    await restoreStore(options);
    expect(lags).toEqual([7, 4, 1, 0]);
    expect(store.checkpoint).toBe(7n);
    lags.length = 0;
    expect(await restoreStore(options)).toBe(0);
    expect(lags).toEqual([0]);
    await store.close();
  });
});
