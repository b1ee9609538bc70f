import { describe, expect, it } from 'vitest';
import {
  type BytesStore,
  CachingKeyValueStore,
  ChangeLoggingKeyValueStore,
  InMemoryKeyValueStore,
  MeteredKeyValueStore,
  SessionStore,
  WindowStore,
} from '../../src/stores/index.js';
import { readTime, writeTime } from '../../src/stores/window-layout.js';
import { Serdes } from '../../src/topology/index.js';
import { CountingStore } from '../support/counting-store.js';

const MINUTE = 60_000;

function bytesStack(): {
  counting: CountingStore;
  top: MeteredKeyValueStore<Buffer, Buffer>;
  inner: BytesStore;
} {
  const inner = new InMemoryKeyValueStore('w');
  const counting = new CountingStore(inner);
  return { counting, inner, top: new MeteredKeyValueStore(counting, Serdes.Buffer(), Serdes.Buffer()) };
}

describe('WindowStore', () => {
  it('keeps its stream time between reads, and reads it again once told its bytes went back', () => {
    const cache = new CachingKeyValueStore(new InMemoryKeyValueStore('w'));
    const store = new WindowStore(new MeteredKeyValueStore(cache, Serdes.Buffer(), Serdes.Buffer()), {
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 10 * MINUTE,
      windowSizeMs: MINUTE,
    });
    store.observe(100);
    cache.flushCache();
    store.observe(200);
    expect(store.observedStreamTime).toBe(200);
    // The task goes back to its last commit: the buffered 200 is gone below the view.
    cache.discard();
    expect(store.observedStreamTime).toBe(200);
    store.forgetStreamTime();
    expect(store.observedStreamTime).toBe(100);
    store.observe(150);
    expect(store.observedStreamTime).toBe(150);
  });

  it('expiry deletes whole expired segments and reads nothing else', async () => {
    const { counting, top, inner } = bytesStack();
    const store = new WindowStore(top, {
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 10 * MINUTE,
      windowSizeMs: MINUTE,
    });
    for (let minute = 0; minute < 1000; minute++) {
      store.observe(minute * MINUTE);
      store.put(`device-${minute % 7}`, minute, minute * MINUTE);
      counting.read = 0;
      const before = inner.approximateNumEntries();
      const expired = await store.expire();
      // What it read is what it deleted: the live windows are never read.
      expect(counting.read).toBe(expired);
      expect(inner.approximateNumEntries()).toBe(before - expired);
      // Bounded: retention (10) plus one segment (5) of windows at most, plus the stream time entry.
      expect(inner.approximateNumEntries()).toBeLessThanOrEqual(16);
    }
    expect(store.fetch('device-5', 999 * MINUTE)).toBe(999);
    expect(store.fetch('device-5', 985 * MINUTE)).toBeUndefined();
  });

  it('does not write a window that retention has already expired', () => {
    const { top } = bytesStack();
    const store = new WindowStore(top, {
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: MINUTE,
      windowSizeMs: MINUTE,
    });
    store.observe(10 * MINUTE);
    expect(store.put('k', 1, 0)).toBe(false);
    expect(store.put('k', 1, 10 * MINUTE)).toBe(true);
  });

  it('keeps one key apart from a longer key that starts with the same bytes', async () => {
    const { top } = bytesStack();
    const store = new WindowStore(top, {
      name: 'w',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 100 * MINUTE,
      windowSizeMs: MINUTE,
    });
    store.observe(5 * MINUTE);
    store.put('a', 1, MINUTE);
    store.put('a\u0000\u0000', 2, MINUTE);
    const found = [];
    for await (const entry of store.fetch('a', 0, 5 * MINUTE)) found.push(entry);
    expect(found).toEqual([{ key: MINUTE, value: 1 }]);
  });
});

describe('SessionStore', () => {
  it('expiry drops sessions that ended before retention, reading only the expired index entries', async () => {
    const { counting, top } = bytesStack();
    const store = new SessionStore(top, {
      name: 's',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 10 * MINUTE,
    });
    store.observe(MINUTE);
    store.put({ key: 'old', window: { start: 0, end: MINUTE } }, 1);
    store.put({ key: 'kept', window: { start: 0, end: MINUTE } }, 2);
    store.observe(30 * MINUTE);
    store.put({ key: 'kept', window: { start: 29 * MINUTE, end: 30 * MINUTE } }, 3);
    counting.read = 0;
    expect(await store.expire()).toBe(2);
    expect(counting.read).toBe(2);
    expect(store.fetch('old')).toEqual([]);
    expect(store.fetch('kept').map((s) => s.value)).toEqual([3]);
    expect(top.get(Buffer.from('\u0001old', 'latin1'))).toBeUndefined();
  });
});

describe('SessionStore.replace', () => {
  it('indexes a session growing within one segment once, and expiry still finds it', async () => {
    const inner = new InMemoryKeyValueStore('s');
    const logged: Buffer[] = [];
    const logging = new ChangeLoggingKeyValueStore(inner, (key) => logged.push(key));
    const top = new MeteredKeyValueStore(logging, Serdes.Buffer(), Serdes.Buffer());
    const store = new SessionStore(top, {
      name: 's',
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 10 * MINUTE,
    });
    // Index keys start with byte 2 (INDEX_PREFIX): every write of one is a changelog record.
    const indexWrites = () => logged.filter((key) => key[0] === 2).length;
    let session = { key: 'k', window: { start: 0, end: 0 } };
    store.observe(0);
    store.replace([], session, 1);
    for (let n = 2; n <= 20; n++) {
      const grown = { key: 'k', window: { start: 0, end: (n - 1) * 1000 } };
      store.observe(grown.window.end);
      store.replace([session], grown, n);
      session = grown;
    }
    expect(store.fetch('k')).toEqual([{ key: session, value: 20 }]);
    expect(indexWrites()).toBe(1);
    store.observe(60 * MINUTE);
    await store.expire();
    expect(store.fetch('k')).toEqual([]);
    expect(inner.approximateNumEntries()).toBe(1);
  });
});

describe('window layout', () => {
  it('writes times as the unsigned 64-bit big-endian numbers they always were, and reads them back', () => {
    for (const time of [0, 1, 2 ** 32 - 1, 2 ** 32, 1_764_000_000_123, Number.MAX_SAFE_INTEGER]) {
      const ours = Buffer.alloc(8);
      writeTime(ours, 0, time);
      const reference = Buffer.alloc(8);
      reference.writeBigUInt64BE(BigInt(time));
      expect(ours).toEqual(reference);
      expect(readTime(ours, 0)).toBe(time);
    }
  });
});
