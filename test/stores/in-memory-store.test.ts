import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../../src/stores/in-memory-store.js';
import { keyValueStoreConformance } from './key-value-store-suite.js';

keyValueStoreConformance('InMemoryKeyValueStore', () => new InMemoryKeyValueStore('test-store'));

describe('InMemoryKeyValueStore', () => {
  it('is open from construction and not persistent', () => {
    const store = new InMemoryKeyValueStore('counts');
    expect(store.name).toBe('counts');
    expect(store.isOpen).toBe(true);
    expect(store.persistent).toBe(false);
  });

  it('rejects an empty name with TypeError', () => {
    expect(() => new InMemoryKeyValueStore('')).toThrow(TypeError);
  });

  it('names the store in the error an operation after close throws', async () => {
    const store = new InMemoryKeyValueStore('counts');
    await store.close();
    expect(() => store.get(Buffer.from('a'))).toThrow(/counts/);
  });

  it('leaves the store unchanged when putAll meets a bad entry', () => {
    const store = new InMemoryKeyValueStore('counts');
    const bad = { key: Buffer.from('b'), value: null as unknown as Buffer };
    expect(() => store.putAll([{ key: Buffer.from('a'), value: Buffer.from('1') }, bad])).toThrow(TypeError);
    expect(store.approximateNumEntries()).toBe(0);
  });
});
