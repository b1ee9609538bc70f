import { access, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KeyValue, LevelDbKeyValueStore } from '../../src/stores/index.js';
import { seededRandom } from '../support/random.js';
import { keyValueStoreConformance } from './key-value-store-suite.js';

const folders: string[] = [];

async function newFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'probestream-leveldb-'));
  folders.push(folder);
  return folder;
}

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

keyValueStoreConformance(
  'LevelDbKeyValueStore',
  async () => LevelDbKeyValueStore.open(join(await newFolder(), 'store'), 'x'),
  { persistent: true },
);

const text = (s: string) => Buffer.from(s, 'utf8');

async function pairs(entries: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const { key, value } of entries) out.push([key.toString(), value.toString()]);
  return out;
}

const storeError = (code: string) => expect.objectContaining({ name: 'StoreError', code });

describe('LevelDbKeyValueStore', () => {
  let location: string;
  let store: LevelDbKeyValueStore;

  beforeEach(async () => {
    location = join(await newFolder(), 'store');
    store = await LevelDbKeyValueStore.open(location, 'x');
  });

  afterEach(async () => {
    await store.close();
  });

  async function reopen(): Promise<LevelDbKeyValueStore> {
    await store.close();
    store = await LevelDbKeyValueStore.open(location, 'x');
    return store;
  }

  it('has no checkpoint when new', () => {
    expect(store.checkpoint).toBeUndefined();
  });

  it('keeps data and checkpoint across close and reopen', async () => {
    store.put(text('a'), text('1'));
    store.put(text('b'), text('2'));
    await store.writeCheckpointed(store.takeWrites(), 42n);
    await reopen();
    expect(store.checkpoint).toBe(42n);
    expect(store.get(text('a'))).toEqual(text('1'));
    expect(await pairs(store.all())).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('writes taken writes and their checkpoint together', async () => {
    store.put(text('a'), text('1'));
    const writes = store.takeWrites();
    expect(writes.size).toBe(1);
    await store.writeCheckpointed(writes, 7n);
    expect(store.checkpoint).toBe(7n);
    await reopen();
    expect(store.checkpoint).toBe(7n);
    expect(store.get(text('a'))).toEqual(text('1'));
  });

  it('shows writes taken but not yet written to get and range, and keeps them off disk', async () => {
    store.put(text('a'), text('1'));
    await store.flush();
    store.put(text('b'), text('2'));
    store.delete(text('a'));
    const writes = store.takeWrites();
    expect(store.takeWrites().size).toBe(0);
    expect(store.get(text('a'))).toBeUndefined();
    expect(store.get(text('b'))).toEqual(text('2'));
    expect(await pairs(store.all())).toEqual([['b', '2']]);

    // A copy of the folder shows what is on disk.
    const copy = join(await newFolder(), 'copy');
    await cp(location, copy, { recursive: true, filter: (source) => !source.endsWith('LOCK') });
    const onDisk = await LevelDbKeyValueStore.open(copy, 'copy');
    expect(await pairs(onDisk.all())).toEqual([['a', '1']]);
    await onDisk.close();

    await store.writeCheckpointed(writes, 3n);
    expect(await pairs(store.all())).toEqual([['b', '2']]);
  });

  it('lets newer writes shadow taken ones, for get and range alike', async () => {
    store.put(text('a'), text('1'));
    const first = store.takeWrites();
    store.put(text('a'), text('2'));
    const second = store.takeWrites();
    store.delete(text('a'));
    expect(store.get(text('a'))).toBeUndefined();
    expect(await pairs(store.all())).toEqual([]);
    store.put(text('a'), text('3'));
    expect(await pairs(store.all())).toEqual([['a', '3']]);
    await store.writeCheckpointed(first, 1n);
    await store.writeCheckpointed(second, 2n);
    expect(store.get(text('a'))).toEqual(text('3'));
    await store.flush();
    await reopen();
    expect(store.get(text('a'))).toEqual(text('3'));
    expect(store.checkpoint).toBe(2n);
  });

  it('writes in the order taken, and refuses writes out of order or twice', async () => {
    store.put(text('a'), text('1'));
    const first = store.takeWrites();
    store.put(text('a'), text('2'));
    const second = store.takeWrites();
    await expect(store.writeCheckpointed(second, 2n)).rejects.toThrow(TypeError);
    const writing = store.writeCheckpointed(first, 1n);
    const writingNext = store.writeCheckpointed(second, 2n);
    await Promise.all([writing, writingNext]);
    await expect(store.writeCheckpointed(first, 3n)).rejects.toThrow(TypeError);
    await reopen();
    expect(store.get(text('a'))).toEqual(text('2'));
    expect(store.checkpoint).toBe(2n);
  });

  it('loses writes not taken when closed', async () => {
    store.put(text('a'), text('1'));
    await reopen();
    expect(store.get(text('a'))).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(0);
  });

  it('leaves the checkpoint as it is when written with none', async () => {
    await store.writeCheckpointed(store.takeWrites(), 5n);
    store.put(text('a'), text('1'));
    await store.writeCheckpointed(store.takeWrites(), undefined);
    await store.flush();
    await reopen();
    expect(store.checkpoint).toBe(5n);
    expect(store.get(text('a'))).toEqual(text('1'));
  });

  it('counts entries exactly across overwrites, deletes and reopen', async () => {
    store.putAll(['a', 'b', 'c'].map((k) => ({ key: text(k), value: text('1') })));
    await store.flush();
    expect(store.approximateNumEntries()).toBe(3);
    store.put(text('a'), text('2'));
    store.delete(text('b'));
    store.delete(text('absent'));
    store.put(text('d'), text('1'));
    store.delete(text('d'));
    await store.flush();
    expect(store.approximateNumEntries()).toBe(2);
    await reopen();
    expect(store.approximateNumEntries()).toBe(2);
  });

  it('clear empties data and checkpoint, on disk too', async () => {
    store.put(text('a'), text('1'));
    await store.writeCheckpointed(store.takeWrites(), 9n);
    store.put(text('b'), text('2'));
    const dropped = store.takeWrites();
    store.put(text('c'), text('3'));
    await store.clear();
    expect(store.checkpoint).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(0);
    expect(await pairs(store.all())).toEqual([]);
    await store.writeCheckpointed(dropped, 10n); // dropped by clear: nothing is written
    await reopen();
    expect(store.checkpoint).toBeUndefined();
    expect(await pairs(store.all())).toEqual([]);
  });

  it('finishes, when opened, a clear that a crash interrupted', async () => {
    store.put(text('a'), text('1'));
    await store.writeCheckpointed(store.takeWrites(), 4n);
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(Buffer.from('\x00clearing', 'latin1'), Buffer.alloc(0));
    await db.close();
    await reopen();
    expect(store.checkpoint).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(0);
    expect(await pairs(store.all())).toEqual([]);
  });

  it('iterates a snapshot: writes reaching disk during an iteration do not show up in it', async () => {
    store.putAll(['a', 'b', 'c'].map((k) => ({ key: text(k), value: text(k) })));
    await store.flush();
    const seen: string[] = [];
    for await (const { key } of store.all()) {
      seen.push(key.toString());
      if (seen.length === 1) {
        store.delete(text('b'));
        store.put(text('bb'), text('bb'));
        await store.flush();
      }
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(await pairs(store.all())).toEqual([
      ['a', 'a'],
      ['bb', 'bb'],
      ['c', 'c'],
    ]);
  });

  it('agrees with a model over random writes, takes, checkpointed writes in flight, ranges and reopens', async () => {
    const random = seededRandom(7);
    const alphabet = [0x00, 0x01, 0x7f, 0x80, 0xff];
    const randomKey = () =>
      Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 3) }, () => alphabet[Math.floor(random() * 5)] ?? 0),
      );
    const model = new Map<string, string>(); // hex key -> hex value
    const modelRange = (from?: Buffer, to?: Buffer) =>
      [...model.entries()]
        .filter(([k]) => {
          const key = Buffer.from(k, 'hex');
          return (!from || Buffer.compare(from, key) <= 0) && (!to || Buffer.compare(key, to) <= 0);
        })
        .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
    const storeRange = async (from?: Buffer, to?: Buffer) => {
      const out: [string, string][] = [];
      for await (const { key, value } of store.range(from, to))
        out.push([key.toString('hex'), value.toString('hex')]);
      return out;
    };
    let checkpoint = 0n;
    let inFlight: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      const key = randomKey();
      const choice = random();
      if (choice < 0.3) {
        expect(store.delete(key)?.toString('hex')).toEqual(model.get(key.toString('hex')));
        model.delete(key.toString('hex'));
      } else if (choice < 0.9) {
        const value = Buffer.from([i & 0xff, i >> 8]);
        store.put(key, value);
        model.set(key.toString('hex'), value.toString('hex'));
      } else if (choice < 0.97) {
        inFlight.push(store.writeCheckpointed(store.takeWrites(), ++checkpoint)); // not awaited yet
      } else {
        await Promise.all(inFlight);
        inFlight = [];
        if (random() < 0.5) {
          await store.writeCheckpointed(store.takeWrites(), ++checkpoint);
          await reopen();
          expect(store.checkpoint).toBe(checkpoint);
          expect(store.approximateNumEntries()).toBe(model.size);
        }
      }
      expect(store.get(key)?.toString('hex')).toEqual(model.get(key.toString('hex')));
      if (i % 20 === 19) {
        const [from, to] = [randomKey(), randomKey()];
        expect(await storeRange(from, to)).toEqual(modelRange(from, to));
        expect(await storeRange(undefined, to)).toEqual(modelRange(undefined, to));
        expect(await storeRange(from)).toEqual(modelRange(from));
      }
    }
    await Promise.all(inFlight);
    expect(await storeRange()).toEqual(modelRange());
  });

  it('fails with STORE_OPEN_FAILED to open a folder another store holds open', async () => {
    await expect(LevelDbKeyValueStore.open(location, 'y')).rejects.toThrow(storeError('STORE_OPEN_FAILED'));
    expect(store.isOpen).toBe(true);
  });

  it('fails with STORE_OPEN_FAILED to open a folder whose CURRENT file is garbage', async () => {
    await store.close();
    await writeFile(join(location, 'CURRENT'), 'garbage\n');
    const opening = LevelDbKeyValueStore.open(location, 'x');
    await expect(opening).rejects.toThrow(storeError('STORE_OPEN_FAILED'));
    await expect(opening).rejects.toHaveProperty('cause');
  });

  it('destroy removes a closed store folder, and refuses one that is open', async () => {
    await expect(LevelDbKeyValueStore.destroy(location)).rejects.toThrow(storeError('STORE_OPEN_FAILED'));
    await store.close();
    await writeFile(join(location, 'CURRENT'), 'garbage\n');
    await writeFile(join(location, 'not-leveldb.txt'), 'x');
    await LevelDbKeyValueStore.destroy(location);
    await expect(access(location)).rejects.toThrow();
    store = await LevelDbKeyValueStore.open(location, 'x');
    expect(store.checkpoint).toBeUndefined();
  });

  it('fails writes with STORE_NOT_OPEN after close', async () => {
    store.put(text('a'), text('1'));
    const writes = store.takeWrites();
    await store.close();
    await expect(store.writeCheckpointed(writes, 1n)).rejects.toThrow(storeError('STORE_NOT_OPEN'));
    await expect(store.clear()).rejects.toThrow(storeError('STORE_NOT_OPEN'));
    expect(() => store.checkpoint).not.toThrow();
  });

  it('writes 100,000 puts in one batch and reads them all back', async () => {
    const n = 100_000;
    const key = (i: number) => Buffer.from(`key-${String(i).padStart(8, '0')}`);
    const started = performance.now();
    for (let i = 0; i < n; i++) store.put(key(i), Buffer.from(`value-${i}`));
    await store.writeCheckpointed(store.takeWrites(), BigInt(n));
    const written = performance.now();
    let read = 0;
    for await (const _ of store.all()) read++;
    const iterated = performance.now();
    for (let i = 0; i < n; i++) store.get(key(i));
    const got = performance.now();
    expect(read).toBe(n);
    expect(store.approximateNumEntries()).toBe(n);
    console.log(
      `LevelDbKeyValueStore, ${n} keys: put+write ${(written - started).toFixed(0)} ms, ` +
        `iterate ${(iterated - written).toFixed(0)} ms, get ${(got - iterated).toFixed(0)} ms`,
    );
  }, 60_000);
});
