import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../src/topology/runtime/murmur2.js';

describe('murmur2', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2: the same key must land in the same partition as
  // the Java client puts it.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j to %i as Kafka does', (text, hash) => {
    expect(murmur2(Buffer.from(text))).toBe(hash);
  });

  it('picks a partition in range from the positive part of the hash', () => {
    expect(partitionForKey(Buffer.from('foobar'), 6)).toBe((-790332482 & 0x7fffffff) % 6);
    for (let i = 0; i < 1000; i++) {
      const p = partitionForKey(Buffer.from(`key-${i}`), 7);
      expect(p >= 0 && p < 7).toBe(true);
    }
  });
});
