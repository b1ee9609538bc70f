import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore, MeteredKeyValueStore, SlidingWindowStore } from '../../src/stores/index.js';
import { Serdes } from '../../src/topology/index.js';
import { CountingStore } from '../support/counting-store.js';

const MINUTE = 60_000;

function slidingStore(retentionMs: number, windowSizeMs: number) {
  const inner = new InMemoryKeyValueStore('s');
  const counting = new CountingStore(inner);
  const top = new MeteredKeyValueStore(counting, Serdes.Buffer(), Serdes.Buffer());
  const store = new SlidingWindowStore(top, {
    name: 's',
    keySerde: Serdes.String(),
    valueSerde: Serdes.Long(),
    retentionMs,
    windowSizeMs,
  });
  return { inner, counting, store };
}

describe('SlidingWindowStore', () => {
  it("answers a key's windows in a range of starts, across index buckets, with their latest record time", () => {
    const { store } = slidingStore(100 * MINUTE, 8_000); // buckets of 1 s
    store.observe(50_000);
    const window = (start: number, value = start, maxTimestamp = start + 7) => ({
      start,
      value,
      maxTimestamp,
    });
    store.putWindows(
      'k',
      [999, 1_000, 2_500, 9_999, 10_000].map((start) => window(start)),
    );
    store.putWindows('k\u0000', [window(1_000, -1)]);
    store.putWindows('k', [window(2_500, 25, 2_600)]); // replaces, not adds
    expect(store.windowStarts('k', 1_000, 9_999)).toEqual([
      { start: 1_000, maxTimestamp: 1_007 },
      { start: 2_500, maxTimestamp: 2_600 },
      { start: 9_999, maxTimestamp: 10_006 },
    ]);
    expect(store.windowStarts('k', 0, 999)).toEqual([{ start: 999, maxTimestamp: 1_006 }]);
    expect(store.fetch('k', 2_500)).toBe(25);
    expect(store.fetch('k\u0000', 1_000)).toBe(-1);
  });

  it('expiry deletes expired windows and their index entries, reading nothing else; the store stays bounded', async () => {
    const { inner, counting, store } = slidingStore(10 * MINUTE, MINUTE);
    for (let second = 0; second < 3_600; second += 5) {
      store.observe(second * 1_000);
      store.putWindows(`device-${second % 3}`, [
        { start: second * 1_000, value: second, maxTimestamp: second * 1_000 },
      ]);
      if (second % 60 !== 0) continue;
      counting.read = 0;
      const before = inner.approximateNumEntries();
      const expired = await store.expire();
      expect(counting.read).toBe(expired);
      expect(inner.approximateNumEntries()).toBe(before - expired);
      // Retention (10 min) plus a segment (5 min) of windows, 12 a minute, and their index buckets.
      expect(inner.approximateNumEntries()).toBeLessThanOrEqual(15 * 12 + 15 * 8 * 3 + 1);
    }
    expect(store.windowStarts('device-0', 0, 3_600_000)).toHaveLength(40); // one every 15 s for 10 minutes
    expect(store.windowStarts('device-0', 0, 3_600_000)[0]?.start).toBe(3_000_000);
  });
});
