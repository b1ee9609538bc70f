import { beforeEach, describe, expect, it } from 'vitest';
import {
  type BytesStore,
  CachingKeyValueStore,
  ChangeLoggingKeyValueStore,
  InMemoryKeyValueStore,
  type KeyValue,
} from '../../src/stores/index.js';
import { keyValueStoreConformance } from './key-value-store-suite.js';

describe('CachingKeyValueStore over an in-memory store', () => {
  keyValueStoreConformance(
    'CachingKeyValueStore',
    () => new CachingKeyValueStore(new InMemoryKeyValueStore('x')),
  );
});

keyValueStoreConformance(
  'ChangeLoggingKeyValueStore',
  () => new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('x'), () => {}),
);

const text = (s: string) => Buffer.from(s, 'utf8');

async function pairs(entries: AsyncIterable<KeyValue<Buffer, Buffer>>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const { key, value } of entries) out.push([key.toString(), value.toString()]);
  return out;
}

describe('CachingKeyValueStore', () => {
  let inner: InMemoryKeyValueStore;
  let cache: CachingKeyValueStore;

  beforeEach(() => {
    inner = new InMemoryKeyValueStore('x');
    cache = new CachingKeyValueStore(inner);
  });

  it('keeps writes from the inner store until flush', async () => {
    cache.put(text('a'), text('1'));
    cache.put(text('b'), text('2'));
    expect(cache.get(text('a'))).toEqual(text('1'));
    expect(inner.get(text('a'))).toBeUndefined();
    expect(inner.approximateNumEntries()).toBe(0);
    await cache.flush();
    expect(await pairs(inner.all())).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('keeps a delete from the inner store until flush', async () => {
    inner.put(text('a'), text('1'));
    expect(cache.delete(text('a'))).toEqual(text('1'));
    expect(cache.get(text('a'))).toBeUndefined();
    expect(inner.get(text('a'))).toEqual(text('1'));
    await cache.flush();
    expect(inner.get(text('a'))).toBeUndefined();
  });

  it('collapses repeated writes of a key into one change, handed down in the order keys were first written', async () => {
    const logged: [string, string | null][] = [];
    const logging = new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('x'), (key, value) =>
      logged.push([key.toString(), value === null ? null : value.toString()]),
    );
    const store = new CachingKeyValueStore(logging);
    store.put(text('b'), text('B'));
    store.put(text('a'), text('1'));
    store.put(text('a'), text('2'));
    store.put(text('a'), text('3'));
    store.delete(text('b'));
    expect(logged).toEqual([]);
    await store.flush();
    expect(logged).toEqual([
      ['b', null],
      ['a', '3'],
    ]);
    await store.flush();
    expect(logged).toHaveLength(2);
  });

  it('discard drops the buffered writes, so reads see the last flushed values again', async () => {
    cache.put(text('a'), text('flushed'));
    cache.put(text('b'), text('flushed'));
    await cache.flush();
    cache.put(text('a'), text('buffered'));
    cache.delete(text('b'));
    cache.put(text('c'), text('buffered'));
    cache.discard();
    expect(cache.get(text('a'))).toEqual(text('flushed'));
    expect(cache.get(text('b'))).toEqual(text('flushed'));
    expect(cache.get(text('c'))).toBeUndefined();
    await cache.flush();
    expect(await pairs(inner.all())).toEqual([
      ['a', 'flushed'],
      ['b', 'flushed'],
    ]);
  });

  it('counts buffered bytes as writes arrive, once per key, and back to 0 after flush or discard', async () => {
    expect(cache.bufferedBytes).toBe(0);
    cache.put(text('a'), text('1'));
    const one = cache.bufferedBytes;
    expect(one).toBeGreaterThanOrEqual(2);
    cache.put(text('a'), text('2'));
    expect(cache.bufferedBytes).toBe(one);
    cache.put(text('a'), text('2345'));
    expect(cache.bufferedBytes).toBe(one + 3);
    cache.put(text('b'), text('1'));
    expect(cache.bufferedBytes).toBe(2 * one + 3);
    await cache.flush();
    expect(cache.bufferedBytes).toBe(0);
    cache.put(text('c'), text('1'));
    expect(cache.bufferedBytes).toBe(one);
    cache.discard();
    expect(cache.bufferedBytes).toBe(0);
  });

  describe('range and all', () => {
    beforeEach(async () => {
      for (const k of ['a', 'c', 'e', 'g']) inner.put(text(k), text(`inner-${k}`));
      cache.put(text('b'), text('cached-b'));
      cache.put(text('e'), text('cached-e'));
      cache.delete(text('c'));
      cache.put(text('h'), text('cached-h'));
      cache.delete(text('zz'));
    });

    it('all lays the buffer over the inner store in key order, hiding buffered deletes', async () => {
      expect(await pairs(cache.all())).toEqual([
        ['a', 'inner-a'],
        ['b', 'cached-b'],
        ['e', 'cached-e'],
        ['g', 'inner-g'],
        ['h', 'cached-h'],
      ]);
    });

    it('range keeps to its bounds on both layers', async () => {
      expect(await pairs(cache.range(text('b'), text('g')))).toEqual([
        ['b', 'cached-b'],
        ['e', 'cached-e'],
        ['g', 'inner-g'],
      ]);
      expect(await pairs(cache.range(text('c'), text('d')))).toEqual([]);
      expect(await pairs(cache.range(text('f')))).toEqual([
        ['g', 'inner-g'],
        ['h', 'cached-h'],
      ]);
    });

    it('yields the same entries after a flush', async () => {
      const before = await pairs(cache.all());
      await cache.flush();
      expect(await pairs(cache.all())).toEqual(before);
      expect(await pairs(inner.all())).toEqual(before);
    });
  });

  it('counts buffered puts of new keys and buffered deletes of inner keys in approximateNumEntries', () => {
    inner.put(text('a'), text('1'));
    inner.put(text('b'), text('2'));
    expect(cache.approximateNumEntries()).toBe(2);
    cache.put(text('c'), text('3'));
    cache.put(text('a'), text('overwritten'));
    expect(cache.approximateNumEntries()).toBe(3);
    cache.delete(text('b'));
    cache.delete(text('never-there'));
    expect(cache.approximateNumEntries()).toBe(2);
    cache.put(text('b'), text('back'));
    cache.put(text('d'), text('4'));
    cache.delete(text('d'));
    expect(cache.approximateNumEntries()).toBe(3);
  });

  it('takes its name and persistence from the inner store', () => {
    expect(cache.name).toBe('x');
    expect(cache.persistent).toBe(false);
    expect(cache.isOpen).toBe(true);
  });

  // Regression: put/putAll after close were silently buffered, and an iteration over buffered entries ran on
  // after close.
  it('throws STORE_NOT_OPEN from put and putAll after close', async () => {
    await cache.close();
    expect(() => cache.put(text('a'), text('1'))).toThrow(
      expect.objectContaining({ code: 'STORE_NOT_OPEN' }),
    );
    expect(() => cache.putAll([{ key: text('a'), value: text('1') }])).toThrow(
      expect.objectContaining({ code: 'STORE_NOT_OPEN' }),
    );
  });

  // #merged yields buffered entries after the inner iteration ends without checking the store is open, so
  // closing the store mid-iteration lets the iteration run to its end over data that close discarded.
  // Right: the next step after close rejects with StoreError STORE_NOT_OPEN.
  it('ends an iteration over buffered entries with STORE_NOT_OPEN when the store closes', async () => {
    cache.put(text('a'), text('1'));
    cache.put(text('b'), text('2'));
    const iteration = (async () => {
      for await (const _ of cache.all()) await cache.close();
    })();
    await expect(iteration).rejects.toThrow(expect.objectContaining({ code: 'STORE_NOT_OPEN' }));
  });
});

describe('ChangeLoggingKeyValueStore', () => {
  it('writes through, then logs each put and delete, a delete as null', () => {
    const logged: [string, string | null][] = [];
    const inner: BytesStore = new InMemoryKeyValueStore('x');
    const store = new ChangeLoggingKeyValueStore(inner, (key, value) =>
      logged.push([key.toString(), value === null ? null : value.toString()]),
    );
    store.put(text('a'), text('1'));
    expect(store.putIfAbsent(text('a'), text('ignored'))).toEqual(text('1'));
    expect(store.putIfAbsent(text('b'), text('2'))).toBeUndefined();
    store.putAll([{ key: text('c'), value: text('3') }]);
    expect(store.delete(text('a'))).toEqual(text('1'));
    expect(inner.get(text('b'))).toEqual(text('2'));
    expect(logged).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['a', null],
    ]);
  });
});

describe('CachingKeyValueStore clean entries', () => {
  /** An in-memory store that counts the reads that reach it. */
  class CountingStore extends InMemoryKeyValueStore {
    reads = 0;
    override get(key: Buffer): Buffer | undefined {
      this.reads += 1;
      return super.get(key);
    }
  }

  it('answers reads of keys flushed or read lately without reading the inner store again', async () => {
    const inner = new CountingStore('x');
    inner.put(text('old'), text('0'));
    const cache = new CachingKeyValueStore(inner);
    cache.put(text('a'), text('1'));
    await cache.flush();
    expect(cache.get(text('a'))).toEqual(text('1'));
    expect(cache.get(text('old'))).toEqual(text('0'));
    expect(cache.get(text('old'))).toEqual(text('0'));
    expect(cache.get(text('missing'))).toBeUndefined();
    expect(cache.get(text('missing'))).toBeUndefined();
    expect(inner.reads).toBe(2);
    cache.delete(text('a'));
    await cache.flush();
    expect(cache.get(text('a'))).toBeUndefined();
    expect(inner.reads).toBe(2);
  });

  it('keeps no more than cleanBytes of them, the oldest written going first', async () => {
    const inner = new CountingStore('x');
    // Each entry is charged its key, its value and 64 bytes: two fit in 140 bytes, three do not.
    const cache = new CachingKeyValueStore(inner, { cleanBytes: 140 });
    for (const key of ['a', 'b', 'c']) cache.put(text(key), text('1'));
    await cache.flush();
    expect(cache.get(text('b'))).toEqual(text('1'));
    expect(cache.get(text('c'))).toEqual(text('1'));
    expect(inner.reads).toBe(0);
    expect(cache.get(text('a'))).toEqual(text('1'));
    expect(inner.reads).toBe(1);
    expect(() => new CachingKeyValueStore(inner, { cleanBytes: -1 })).toThrow(TypeError);
  });

  it('reads the inner store again after a discard, which the engine follows by changing it below', async () => {
    const inner = new CountingStore('x');
    const cache = new CachingKeyValueStore(inner);
    cache.put(text('a'), text('1'));
    await cache.flush();
    cache.discard();
    inner.put(text('a'), text('restored'));
    expect(cache.get(text('a'))).toEqual(text('restored'));
  });
});
