import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BytesStore, KeyValue } from '../../src/stores/key-value-store.js';
import { seededRandom } from '../support/random.js';

export interface KeyValueStoreConformanceOptions {
  /** Whether the stores under test keep their data on disk. Defaults to false. */
  persistent?: boolean;
}

/**
 * The behaviour every BytesStore shares, as a vitest suite that each implementation runs with its own
 * factory (after abstract-level's `suite({ test, factory })`). The factory must return a new, open, empty
 * store on every call; each test closes the store it got.
 *
 * Persistent stores only estimate approximateNumEntries, so for them the suite asserts no exact count.
 */
export function keyValueStoreConformance(
  name: string,
  factory: () => Promise<BytesStore> | BytesStore,
  options: KeyValueStoreConformanceOptions = {},
): void {
  const persistent = options.persistent ?? false;

  describe(`${name} (KeyValueStore conformance)`, () => {
    let store: BytesStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('get and put', () => {
      it('returns undefined for a key that was never put', () => {
        expect(store.get(text('missing'))).toBeUndefined();
      });

      it('returns the value that was put', () => {
        store.put(text('a'), text('1'));
        expect(store.get(text('a'))).toEqual(text('1'));
      });

      it('replaces the value when the same key is put again', () => {
        store.put(text('a'), text('1'));
        store.put(text('a'), text('2'));
        expect(store.get(text('a'))).toEqual(text('2'));
      });

      it('finds a key by its bytes, whatever Buffer instance carries them', () => {
        store.put(bytes(1, 2, 3), text('v'));
        expect(store.get(Buffer.from([1, 2, 3]))).toEqual(text('v'));
        expect(store.get(Buffer.from([9, 1, 2, 3]).subarray(1))).toEqual(text('v'));
      });

      it('keeps apart keys that are not valid UTF-8', () => {
        // Both decode to U+FFFD as UTF-8: a store that keyed by UTF-8 text would confuse them.
        store.put(bytes(0xfe), text('fe'));
        store.put(bytes(0xff), text('ff'));
        expect(store.get(bytes(0xfe))).toEqual(text('fe'));
        expect(store.get(bytes(0xff))).toEqual(text('ff'));
      });

      it('keeps an empty value, which is distinct from an absent key', () => {
        store.put(text('empty'), Buffer.alloc(0));
        expect(store.get(text('empty'))).toEqual(Buffer.alloc(0));
        expect(store.get(text('absent'))).toBeUndefined();
      });

      it('round-trips a 1 MB value byte for byte', () => {
        const value = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
        store.put(text('big'), value);
        expect(store.get(text('big'))?.equals(value)).toBe(true);
      });
    });

    describe('putIfAbsent', () => {
      it('puts the value and returns undefined when the key is absent', () => {
        expect(store.putIfAbsent(text('a'), text('1'))).toBeUndefined();
        expect(store.get(text('a'))).toEqual(text('1'));
      });

      it('returns the existing value and leaves it in place when the key is present', () => {
        store.put(text('a'), text('1'));
        expect(store.putIfAbsent(text('a'), text('2'))).toEqual(text('1'));
        expect(store.get(text('a'))).toEqual(text('1'));
      });

      it('treats a key holding an empty value as present', () => {
        store.put(text('a'), Buffer.alloc(0));
        expect(store.putIfAbsent(text('a'), text('2'))).toEqual(Buffer.alloc(0));
        expect(store.get(text('a'))).toEqual(Buffer.alloc(0));
      });
    });

    describe('putAll', () => {
      it('puts every entry', () => {
        store.putAll([kv('a', '1'), kv('b', '2'), kv('c', '3')]);
        expect(store.get(text('a'))).toEqual(text('1'));
        expect(store.get(text('b'))).toEqual(text('2'));
        expect(store.get(text('c'))).toEqual(text('3'));
      });

      it('puts in order, so the last entry for a key wins', () => {
        store.putAll([kv('a', '1'), kv('a', '2')]);
        expect(store.get(text('a'))).toEqual(text('2'));
      });

      it('accepts any iterable, such as a generator', async () => {
        function* entries(): Generator<KeyValue<Buffer, Buffer>> {
          yield kv('x', '1');
          yield kv('y', '2');
        }
        store.putAll(entries());
        expect(await pairs(store.all())).toEqual([
          ['x', '1'],
          ['y', '2'],
        ]);
      });
    });

    describe('delete', () => {
      it('returns the old value and removes the key', () => {
        store.put(text('a'), text('1'));
        expect(store.delete(text('a'))).toEqual(text('1'));
        expect(store.get(text('a'))).toBeUndefined();
      });

      it('returns undefined for a key that is absent', () => {
        expect(store.delete(text('a'))).toBeUndefined();
      });

      it('lets a deleted key be put again', () => {
        store.put(text('a'), text('1'));
        store.delete(text('a'));
        store.put(text('a'), text('2'));
        expect(store.get(text('a'))).toEqual(text('2'));
      });
    });

    describe('range and all', () => {
      beforeEach(() => {
        store.putAll(['b', 'd', 'a', 'e', 'c'].map((k) => kv(k, k.toUpperCase())));
      });

      it('yields the entries between from and to, both inclusive, in key order', async () => {
        expect(await pairs(store.range(text('b'), text('d')))).toEqual([
          ['b', 'B'],
          ['c', 'C'],
          ['d', 'D'],
        ]);
      });

      it('starts at the first key when from is omitted, and ends at the last when to is', async () => {
        expect(await keysOf(store.range(undefined, text('b')))).toEqual(['a', 'b']);
        expect(await keysOf(store.range(text('d')))).toEqual(['d', 'e']);
        expect(await keysOf(store.range())).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('accepts bounds that are not keys in the store', async () => {
        expect(await keysOf(store.range(text('aa'), text('cc')))).toEqual(['b', 'c']);
        expect(await keysOf(store.range(text('0'), text('z')))).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('yields a single entry when from equals to', async () => {
        expect(await keysOf(store.range(text('c'), text('c')))).toEqual(['c']);
      });

      it('yields nothing when from is after to', async () => {
        expect(await pairs(store.range(text('d'), text('b')))).toEqual([]);
      });

      it('yields nothing when no key lies between the bounds', async () => {
        expect(await pairs(store.range(text('f'), text('z')))).toEqual([]);
      });

      it('all yields every entry in key order', async () => {
        expect(await pairs(store.all())).toEqual([
          ['a', 'A'],
          ['b', 'B'],
          ['c', 'C'],
          ['d', 'D'],
          ['e', 'E'],
        ]);
      });

      it('reflects the puts, overwrites and deletes made before it is called', async () => {
        await pairs(store.all());
        store.delete(text('b'));
        store.put(text('c'), text('C2'));
        store.put(text('bb'), text('BB'));
        expect(await pairs(store.all())).toEqual([
          ['a', 'A'],
          ['bb', 'BB'],
          ['c', 'C2'],
          ['d', 'D'],
          ['e', 'E'],
        ]);
      });

      it('leaves out keys deleted since an earlier iteration', async () => {
        await pairs(store.all());
        store.delete(text('b'));
        store.delete(text('d'));
        expect(await keysOf(store.all())).toEqual(['a', 'c', 'e']);
        expect(await keysOf(store.range(text('b'), text('d')))).toEqual(['c']);
      });

      it('iterates a snapshot: changes made during an iteration neither throw nor show up in it', async () => {
        const seen: [string, string][] = [];
        for await (const { key, value } of store.all()) {
          seen.push([key.toString(), value.toString()]);
          if (seen.length === 1) {
            store.put(text('c'), text('changed'));
            store.delete(text('d'));
            store.put(text('bb'), text('new'));
            store.put(text('f'), text('new'));
          }
        }
        expect(seen).toEqual([
          ['a', 'A'],
          ['b', 'B'],
          ['c', 'C'],
          ['d', 'D'],
          ['e', 'E'],
        ]);
        expect(await keysOf(store.all())).toEqual(['a', 'b', 'bb', 'c', 'e', 'f']);
      });

      it('lets the caller stop part way, and the store still works', async () => {
        for await (const { key } of store.all()) {
          if (key.toString() === 'b') break;
        }
        store.put(text('f'), text('F'));
        expect(await keysOf(store.range(text('e')))).toEqual(['e', 'f']);
      });

      it('ends an iteration in progress with STORE_NOT_OPEN when the store is closed', async () => {
        const iteration = (async () => {
          for await (const _ of store.all()) await store.close();
        })();
        await expect(iteration).rejects.toThrow(storeNotOpen);
      });
    });

    describe('key order', () => {
      it('orders single-byte keys as unsigned bytes', async () => {
        for (const b of [0x80, 0x01, 0xff, 0x7f, 0x00]) store.put(bytes(b), bytes(b));
        expect(await hexKeysOf(store.all())).toEqual(['00', '01', '7f', '80', 'ff']);
      });

      it('orders a key before the longer keys it prefixes, and those before the next byte', async () => {
        for (const key of [bytes(0x02), bytes(0x01, 0x00), bytes(0x01, 0xff), bytes(0x01)]) {
          store.put(key, text('v'));
        }
        expect(await hexKeysOf(store.all())).toEqual(['01', '0100', '01ff', '02']);
        expect(await hexKeysOf(store.range(bytes(0x01, 0x00), bytes(0x01, 0xff)))).toEqual(['0100', '01ff']);
      });

      it('agrees with a Buffer.compare model over a random mix of puts, deletes and ranges', async () => {
        const random = seededRandom(42);
        const alphabet = [0x00, 0x01, 0x7f, 0x80, 0xff];
        const randomByte = () => alphabet[Math.floor(random() * alphabet.length)] ?? 0;
        const randomKey = () => Buffer.from(Array.from({ length: 1 + Math.floor(random() * 3) }, randomByte));
        const model = new Map<string, Buffer>(); // by hex key
        const modelRange = (from?: Buffer, to?: Buffer) =>
          [...model.keys()]
            .map((hex) => Buffer.from(hex, 'hex'))
            .filter((k) => (!from || Buffer.compare(from, k) <= 0) && (!to || Buffer.compare(k, to) <= 0))
            .sort(Buffer.compare)
            .map((k) => [k.toString('hex'), model.get(k.toString('hex'))?.toString('hex')]);

        for (let i = 0; i < 500; i++) {
          const key = randomKey();
          if (random() < 0.3) {
            expect(store.delete(key)).toEqual(model.get(key.toString('hex')));
            model.delete(key.toString('hex'));
          } else {
            const value = Buffer.from([i & 0xff, i >> 8]);
            store.put(key, value);
            model.set(key.toString('hex'), value);
          }
          if (i % 25 === 24) {
            const [from, to] = [randomKey(), randomKey()];
            expect(await hexPairsOf(store.range(from, to))).toEqual(modelRange(from, to));
          }
        }
        expect(await hexPairsOf(store.all())).toEqual(modelRange());
      });
    });

    describe('approximateNumEntries', () => {
      it.skipIf(persistent)('counts entries exactly after puts, overwrites and deletes', () => {
        expect(store.approximateNumEntries()).toBe(0);
        store.putAll([kv('a', '1'), kv('b', '2'), kv('c', '3')]);
        expect(store.approximateNumEntries()).toBe(3);
        store.put(text('a'), text('again'));
        store.putIfAbsent(text('b'), text('ignored'));
        expect(store.approximateNumEntries()).toBe(3);
        store.delete(text('b'));
        store.delete(text('absent'));
        expect(store.approximateNumEntries()).toBe(2);
      });

      it('is a non-negative integer', () => {
        store.putAll([kv('a', '1'), kv('b', '2')]);
        const count = store.approximateNumEntries();
        expect(Number.isInteger(count)).toBe(true);
        expect(count).toBeGreaterThanOrEqual(0);
      });
    });

    describe('lifecycle', () => {
      it('is open when the factory returns it', () => {
        expect(store.isOpen).toBe(true);
      });

      it(`says it is ${persistent ? '' : 'not '}persistent`, () => {
        expect(store.persistent).toBe(persistent);
      });

      it('flush resolves and keeps the data', async () => {
        store.put(text('a'), text('1'));
        await expect(store.flush()).resolves.toBeUndefined();
        expect(store.get(text('a'))).toEqual(text('1'));
      });

      it('close is idempotent and leaves the store not open', async () => {
        await store.close();
        await store.close();
        expect(store.isOpen).toBe(false);
      });

      const afterClose: [string, (s: BytesStore) => unknown][] = [
        ['get', (s) => s.get(text('a'))],
        ['put', (s) => s.put(text('a'), text('1'))],
        ['putIfAbsent', (s) => s.putIfAbsent(text('a'), text('1'))],
        ['putAll', (s) => s.putAll([kv('a', '1')])],
        ['delete', (s) => s.delete(text('a'))],
        ['approximateNumEntries', (s) => s.approximateNumEntries()],
      ];
      it.each(afterClose)('%s after close throws StoreError STORE_NOT_OPEN', async (_, operation) => {
        store.put(text('a'), text('1'));
        await store.close();
        expect(() => operation(store)).toThrow(storeNotOpen);
      });

      // A persistent store may open its iterator lazily, so the error may come from the first step.
      const iterationsAfterClose: [string, (s: BytesStore) => AsyncIterable<KeyValue<Buffer, Buffer>>][] = [
        ['range', (s) => s.range(text('a'), text('z'))],
        ['all', (s) => s.all()],
      ];
      it.each(iterationsAfterClose)(
        '%s after close fails with StoreError STORE_NOT_OPEN',
        async (_, iterate) => {
          store.put(text('a'), text('1'));
          await store.close();
          await expect(drain(() => iterate(store))).rejects.toThrow(storeNotOpen);
        },
      );
    });

    describe('arguments', () => {
      const notBuffers: [string, unknown][] = [
        ['a string', 'a'],
        ['undefined', undefined],
        ['null', null],
        ['a Uint8Array', new Uint8Array([1])],
      ];

      it.each(notBuffers)('put throws TypeError for a key that is %s', (_, key) => {
        expect(() => store.put(key as Buffer, text('1'))).toThrow(TypeError);
      });

      it.each(notBuffers)('put throws TypeError for a value that is %s', (_, value) => {
        expect(() => store.put(text('a'), value as Buffer)).toThrow(TypeError);
        expect(store.get(text('a'))).toBeUndefined();
      });

      it('get, delete and putIfAbsent throw TypeError for a key that is not a Buffer', () => {
        expect(() => store.get('a' as unknown as Buffer)).toThrow(TypeError);
        expect(() => store.delete('a' as unknown as Buffer)).toThrow(TypeError);
        expect(() => store.putIfAbsent('a' as unknown as Buffer, text('1'))).toThrow(TypeError);
      });

      it('putAll throws TypeError for an entry whose value is not a Buffer', () => {
        const entries = [kv('a', '1'), { key: text('b'), value: undefined as unknown as Buffer }];
        expect(() => store.putAll(entries)).toThrow(TypeError);
      });
    });
  });
}

function text(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function bytes(...values: number[]): Buffer {
  return Buffer.from(values);
}

function kv(key: string, value: string): KeyValue<Buffer, Buffer> {
  return { key: text(key), value: text(value) };
}

/** What every operation on a closed store throws (or, for an iteration, rejects with). */
const storeNotOpen = expect.objectContaining({ name: 'StoreError', code: 'STORE_NOT_OPEN' });

/** Drains an iteration. Starting it inside the promise lets a synchronous throw from range or all reject. */
async function drain(
  iterate: () => AsyncIterable<KeyValue<Buffer, Buffer>>,
): Promise<KeyValue<Buffer, Buffer>[]> {
  const entries: KeyValue<Buffer, Buffer>[] = [];
  for await (const entry of iterate()) entries.push(entry);
  return entries;
}

/** Entries as [key, value] text pairs, which read well in a failed assertion. */
async function pairs(iterable: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<[string, string][]> {
  return (await drain(() => iterable)).map(({ key, value }) => [key.toString(), value.toString()]);
}

async function keysOf(iterable: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<string[]> {
  return (await drain(() => iterable)).map(({ key }) => key.toString());
}

async function hexKeysOf(iterable: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<string[]> {
  return (await drain(() => iterable)).map(({ key }) => key.toString('hex'));
}

async function hexPairsOf(iterable: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<string[][]> {
  return (await drain(() => iterable)).map(({ key, value }) => [key.toString('hex'), value.toString('hex')]);
}
