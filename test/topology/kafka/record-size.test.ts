import { describe, expect, it } from 'vitest';
import {
  BATCH_OVERHEAD_BYTES,
  boundedRequests,
  recordSizeBound,
} from '../../../src/topology/kafka/record-size.js';

const record = (partition: number, bytes: number) => ({
  partition,
  key: Buffer.from('k'),
  value: Buffer.alloc(bytes),
});

describe('recordSizeBound', () => {
  it('counts key, value and headers with their widest length prefixes', () => {
    expect(recordSizeBound({ key: null, value: null })).toBe(36);
    expect(recordSizeBound({ key: 'ab', value: Buffer.alloc(10), headers: { h: 'é' } })).toBe(
      36 + 2 + 10 + 5 + 1 + 5 + 2,
    );
  });
});

describe('boundedRequests', () => {
  const limits = (maxMessageBytes: number, maxRequestBytes = 10_000_000, maxRecords = 1000) => ({
    maxRecords,
    maxRequestBytes,
    maxMessageBytes: () => maxMessageBytes,
  });

  it('never lets one partition of a request pass its topic limit, keeping order', () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ ...record(0, 400_000), i }));
    const requests = [...boundedRequests([['t', records]], limits(1_048_588), (r) => r.partition)];
    expect(requests.map((r) => r.flatMap((t) => t.messages).map((m) => m.i))).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6],
    ]);
    for (const request of requests) {
      const bytes = request.flatMap((t) => t.messages).reduce((s, m) => s + recordSizeBound(m), 0);
      expect(bytes).toBeLessThanOrEqual(1_048_588 - BATCH_OVERHEAD_BYTES);
    }
  });

  it('fills other partitions of the same request while one partition is full', () => {
    const records = [record(0, 600_000), record(1, 600_000), record(0, 600_000)];
    const requests = [...boundedRequests([['t', records]], limits(1_048_588), (r) => r.partition)];
    expect(requests.map((r) => r.flatMap((t) => t.messages).map((m) => m.partition))).toEqual([[0, 1], [0]]);
  });

  it('bounds records and bytes per request across topics', () => {
    const small = Array.from({ length: 5 }, () => record(0, 10));
    const byCount = [
      ...boundedRequests(
        [
          ['a', small],
          ['b', small],
        ],
        limits(1e6, 1e7, 4),
        (r) => r.partition,
      ),
    ];
    expect(byCount.map((r) => r.reduce((s, t) => s + t.messages.length, 0))).toEqual([4, 4, 2]);
    const byBytes = [...boundedRequests([['a', small]], limits(1e6, 100), (r) => r.partition)];
    // 47 bytes a record: two fit in 100.
    expect(byBytes.map((r) => r[0]?.messages.length)).toEqual([2, 2, 1]);
  });

  it('puts a record larger than any request alone in its own', () => {
    const requests = [
      ...boundedRequests(
        [['t', [record(0, 10), record(0, 2_000_000), record(0, 10)]]],
        limits(1_048_588),
        (r) => r.partition,
      ),
    ];
    expect(requests.map((r) => r[0]?.messages.length)).toEqual([1, 1, 1]);
  });
});
