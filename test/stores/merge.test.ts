import { describe, expect, it } from 'vitest';
import { type KeyValue, mergeSortedByKey } from '../../src/stores/index.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

async function* source(
  keys: string[],
  closed?: string[],
  name = '',
): AsyncGenerator<KeyValue<Buffer, string>> {
  try {
    for (const key of keys) yield { key: utf8(key), value: `${name}${key}` };
  } finally {
    closed?.push(name);
  }
}

async function collect<V>(entries: AsyncIterable<KeyValue<Buffer, V>>): Promise<[string, V][]> {
  const out: [string, V][] = [];
  for await (const { key, value } of entries) out.push([key.toString('utf8'), value]);
  return out;
}

const byBytes = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(utf8(a), utf8(b)));

describe('mergeSortedByKey', () => {
  it('yields the entries of every source in unsigned byte order, which is not JS string order for non-ASCII keys', async () => {
    // U+1D11E is a surrogate pair (0xD834 0xDD1E), so JS sorts it before U+FF01; UTF-8 puts it after (F0 > EF).
    const keys = ['a', 'z', 'é', '\u{1D11E}', '\uFF01', 'ab', '\u00FF', 'Z'];
    expect([...keys].sort()).not.toEqual(byBytes(keys));
    const sources = [
      source(byBytes(['é', '\u{1D11E}', 'Z'])),
      source(byBytes(['a', '\uFF01'])),
      source([]),
      source(byBytes(['z', 'ab', '\u00FF'])),
    ];
    const merged = await collect(mergeSortedByKey(sources));
    expect(merged.map(([key]) => key)).toEqual(['Z', 'a', 'ab', 'z', 'é', '\u00FF', '\uFF01', '\u{1D11E}']);
    expect(merged.map(([key]) => key)).toEqual(byBytes(keys));
  });

  it('keeps entries with equal keys, in the order of their sources', async () => {
    const merged = await collect(
      mergeSortedByKey([source(['b', 'c'], [], 'first:'), source(['a', 'b'], [], 'second:')]),
    );
    expect(merged).toEqual([
      ['a', 'second:a'],
      ['b', 'first:b'],
      ['b', 'second:b'],
      ['c', 'first:c'],
    ]);
  });

  it('merges many sources of many entries like a sort of all of them', async () => {
    const all = Array.from({ length: 2000 }, (_, i) => `k${(i * 7919) % 10007}`);
    const sources = Array.from({ length: 13 }, (_, s) => source(byBytes(all.filter((_, i) => i % 13 === s))));
    const merged = await collect(mergeSortedByKey(sources));
    expect(merged.map(([key]) => key)).toEqual(byBytes(all));
  });

  it('yields nothing from no sources', async () => {
    expect(await collect(mergeSortedByKey([]))).toEqual([]);
  });

  it('ends every source when the consumer stops early', async () => {
    const closed: string[] = [];
    const merged = mergeSortedByKey([source(['a', 'c'], closed, 'x'), source(['b', 'd'], closed, 'y')]);
    for await (const { key } of merged) if (key.toString() === 'b') break;
    expect(closed.sort()).toEqual(['x', 'y']);
  });

  it('fails when a source fails, and ends the others', async () => {
    const closed: string[] = [];
    async function* failing(): AsyncGenerator<KeyValue<Buffer, string>> {
      yield { key: utf8('b'), value: 'b' };
      throw new Error('disk gone');
    }
    const merged = mergeSortedByKey([source(['a', 'c', 'e'], closed, 'ok'), failing()]);
    await expect(collect(merged)).rejects.toThrow('disk gone');
    expect(closed).toEqual(['ok']);
  });
});
