import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lineLogger, silentLogger } from '../../../src/logging/index.js';
import type { LevelDbKeyValueStore } from '../../../src/stores/index.js';
import { Serdes, Stores } from '../../../src/topology/index.js';
import { StateDirectory } from '../../../src/topology/runtime/state-directory.js';

const counts = Stores.keyValueStore({ name: 'counts', keySerde: Serdes.String(), valueSerde: Serdes.Long() });

describe('StateDirectory', () => {
  let root: string;
  let directory: StateDirectory;
  const logged: string[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'probestream-statedir-'));
    directory = new StateDirectory(root, 'app');
    logged.length = 0;
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lays state out as <stateDir>/<applicationId>/<task>/<store>', () => {
    expect(directory.storeDir('0_3', 'counts')).toBe(join(root, 'app', '0_3', 'counts'));
  });

  it('opens a persistent store that keeps its data and offset across a reopen, and skips in-memory ones', async () => {
    const first = await directory.openStores(
      '0_0',
      [counts, { ...counts, name: 'mem', persistent: false }],
      lineLogger((m) => logged.push(m)),
    );
    expect([...first.keys()]).toEqual(['counts']);
    const store = first.get('counts') as LevelDbKeyValueStore;
    store.put(Buffer.from('a'), Buffer.from('1'));
    await store.writeCheckpointed(store.takeWrites(), 42n);
    await store.close();
    const again = (
      await directory.openStores(
        '0_0',
        [counts],
        lineLogger((m) => logged.push(m)),
      )
    ).get('counts') as LevelDbKeyValueStore;
    expect(again.checkpoint).toBe(42n);
    expect(again.get(Buffer.from('a'))?.toString()).toBe('1');
    await again.close();
    expect(logged).toEqual([]);
  });

  it('rebuilds a store it cannot read: the folder is replaced by an empty store with no offset', async () => {
    const location = directory.storeDir('0_1', 'counts');
    await mkdir(location, { recursive: true });
    await writeFile(join(location, 'CURRENT'), 'not a manifest name\n');
    const stores = await directory.openStores(
      '0_1',
      [counts],
      lineLogger((m) => logged.push(m)),
    );
    const store = stores.get('counts') as LevelDbKeyValueStore;
    expect(store.checkpoint).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(0);
    expect(logged).toEqual([
      expect.stringMatching(/^store counts of task 0_1 cannot be opened .*: rebuilding it$/),
    ]);
    await store.close();
  });

  it('refuses a store another instance holds open, naming the state directory', async () => {
    const held = await directory.openStores('0_2', [counts], silentLogger);
    await expect(directory.openStores('0_2', [counts], silentLogger)).rejects.toMatchObject({
      code: 'ILLEGAL_STATE',
      message: expect.stringContaining('is in use by another process'),
    });
    await (held.get('counts') as LevelDbKeyValueStore).close();
  });

  it('cleans up tasks owned elsewhere only after the delay, and never the current ones', async () => {
    for (const task of ['0_0', '0_1', '1_0']) await mkdir(join(root, 'app', task), { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await utimes(join(root, 'app', '1_0'), old, old);
    directory.owned(['0_1']);
    expect(await directory.cleanUp(new Set(['0_0']), 30_000)).toEqual(['1_0']);
    expect(existsSync(join(root, 'app', '1_0'))).toBe(false);
    expect(existsSync(join(root, 'app', '0_1'))).toBe(true);
    expect(await directory.cleanUp(new Set(['0_0']), 0)).toEqual(['0_1']);
    expect(existsSync(join(root, 'app', '0_0'))).toBe(true);
  });
});
