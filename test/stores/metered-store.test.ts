import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, type KeyValue, MeteredKeyValueStore } from '../../src/stores/index.js';
import { Serdes } from '../../src/topology/index.js';

interface Device {
  readonly mac: string;
  readonly seen: number;
  readonly ssids: string[];
}

async function drain<K, V>(entries: AsyncIterable<KeyValue<K, V>>): Promise<[K, V][]> {
  const out: [K, V][] = [];
  for await (const { key, value } of entries) out.push([key, value]);
  return out;
}

describe('MeteredKeyValueStore', () => {
  let inner: InMemoryKeyValueStore;
  let store: MeteredKeyValueStore<string, Device>;
  const phone: Device = { mac: 'aa:bb', seen: 3, ssids: ['home', 'café'] };

  beforeEach(() => {
    inner = new InMemoryKeyValueStore('devices');
    store = new MeteredKeyValueStore(inner, Serdes.String(), Serdes.Json<Device>());
  });

  it('round-trips typed keys and values', () => {
    store.put('phone', phone);
    expect(store.get('phone')).toEqual(phone);
    expect(store.get('laptop')).toBeUndefined();
  });

  it('stores the serialized bytes in the store below', () => {
    store.put('phone', phone);
    expect(inner.get(Buffer.from('phone'))?.toString()).toBe(JSON.stringify(phone));
  });

  it('answers putIfAbsent and delete with the typed previous value', () => {
    expect(store.putIfAbsent('phone', phone)).toBeUndefined();
    expect(store.putIfAbsent('phone', { ...phone, seen: 9 })).toEqual(phone);
    expect(store.get('phone')).toEqual(phone);
    expect(store.delete('phone')).toEqual(phone);
    expect(store.delete('phone')).toBeUndefined();
    expect(store.get('phone')).toBeUndefined();
  });

  it('puts every entry of putAll', () => {
    store.putAll([
      { key: 'a', value: phone },
      { key: 'b', value: { ...phone, seen: 1 } },
    ]);
    expect(store.get('b')?.seen).toBe(1);
    expect(store.approximateNumEntries()).toBe(2);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
  ])('put of a %s value throws TypeError and writes nothing', (_, value) => {
    expect(() => store.put('phone', value as unknown as Device)).toThrow(TypeError);
    expect(() => store.put('phone', value as unknown as Device)).toThrow(/delete\(\)/);
    expect(inner.approximateNumEntries()).toBe(0);
  });

  // Regression: putIfAbsent stored the JSON bytes 'null', a value the store contract says a store never holds.
  it('putIfAbsent of a null value throws TypeError, as put does', () => {
    expect(() => store.putIfAbsent('phone', null as unknown as Device)).toThrow(TypeError);
    expect(inner.approximateNumEntries()).toBe(0);
  });

  it('range and all yield typed entries in the order of the serialized keys', async () => {
    for (const key of ['c', 'a', 'b', 'B']) store.put(key, { ...phone, mac: key });
    expect((await drain(store.all())).map(([key, value]) => [key, value.mac])).toEqual([
      ['B', 'B'],
      ['a', 'a'],
      ['b', 'b'],
      ['c', 'c'],
    ]);
    expect((await drain(store.range('a', 'b'))).map(([key]) => key)).toEqual(['a', 'b']);
    expect((await drain(store.range('b'))).map(([key]) => key)).toEqual(['b', 'c']);
    expect((await drain(store.range(undefined, 'a'))).map(([key]) => key)).toEqual(['B', 'a']);
  });

  it('orders Long keys by their big-endian bytes, so non-negative numbers come out in numeric order', async () => {
    const counts = new MeteredKeyValueStore(new InMemoryKeyValueStore('n'), Serdes.Long(), Serdes.Long());
    for (const n of [300, 2, 70000, 1]) counts.put(n, n * 10);
    expect(await drain(counts.all())).toEqual([
      [1, 10],
      [2, 20],
      [300, 3000],
      [70000, 700000],
    ]);
    expect(await drain(counts.range(2, 300))).toEqual([
      [2, 20],
      [300, 3000],
    ]);
  });

  it('counts gets, puts and deletes by kind', () => {
    expect(store.operations).toEqual({ get: 0, put: 0, delete: 0 });
    store.put('a', phone);
    store.putAll([
      { key: 'b', value: phone },
      { key: 'c', value: phone },
    ]);
    store.putIfAbsent('a', phone);
    store.get('a');
    store.get('missing');
    store.delete('a');
    expect(store.operations).toEqual({ get: 2, put: 4, delete: 1 });
  });

  it('counts no put for a put it refuses', () => {
    expect(() => store.put('a', null as unknown as Device)).toThrow(TypeError);
    expect(store.operations.put).toBe(0);
  });

  it('passes name, persistence, open state and close through to the store below', async () => {
    expect(store.name).toBe('devices');
    expect(store.persistent).toBe(false);
    expect(store.inner).toBe(inner);
    expect(store.isOpen).toBe(true);
    await store.close();
    expect(store.isOpen).toBe(false);
    expect(inner.isOpen).toBe(false);
    expect(() => store.get('a')).toThrow(expect.objectContaining({ code: 'STORE_NOT_OPEN' }));
  });

  it('throws a SerdeError for a key its key serde cannot write', () => {
    expect(() => store.put(42 as unknown as string, phone)).toThrow(
      expect.objectContaining({ name: 'SerdeError', code: 'SERDE_SERIALIZATION_FAILED' }),
    );
  });
});
