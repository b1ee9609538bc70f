import { describe, expect, it } from 'vitest';
import { MirrorWriter, StoreMirror } from '../../../../src/topology/runtime/worker/mirror.js';

const b = (text: string) => Buffer.from(text);
const STORES = ['a', 'b'];

/** What the mirror answers for a key, as text: 'absent', the value, or 'not here'. */
function lookup(mirror: StoreMirror, store: string, partition: number, key: string): string {
  const found = mirror.get(store, partition, b(key));
  if (!found.here) return 'not here';
  return found.value === undefined ? 'absent' : found.value.toString();
}

function applied(write: (writer: MirrorWriter) => void, mirror = new StoreMirror(STORES)): StoreMirror {
  const writer = new MirrorWriter();
  write(writer);
  const operations = writer.take();
  if (operations) mirror.apply(operations);
  return mirror;
}

describe('the query mirror', () => {
  it('answers a copy only from its END on, with its snapshot and later writes', () => {
    const mirror = new StoreMirror(STORES);
    const writer = new MirrorWriter();
    writer.begin(0, 3);
    writer.snapshot(0, 3, b('k1'), b('v1'));
    mirror.apply(writer.take() as ArrayBuffer);
    expect(lookup(mirror, 'a', 3, 'k1')).toBe('not here');
    writer.snapshot(0, 3, b('k2'), b('v2'));
    writer.end(0, 3);
    writer.write(0, 3, b('k3'), b('v3'));
    writer.write(0, 3, b('k1'), undefined);
    mirror.apply(writer.take() as ArrayBuffer);
    expect(['k1', 'k2', 'k3', 'k4'].map((key) => lookup(mirror, 'a', 3, key))).toEqual([
      'absent',
      'v2',
      'v3',
      'absent',
    ]);
    // Another partition, another store: no copy.
    expect(lookup(mirror, 'a', 2, 'k2')).toBe('not here');
    expect(lookup(mirror, 'b', 3, 'k2')).toBe('not here');
    expect(mirror.size('a')).toBe(2);
  });

  it('skips a snapshot entry of a key written after BEGIN: the write is newer', () => {
    const mirror = applied((w) => {
      w.begin(1, 0);
      w.write(1, 0, b('k'), b('new'));
      w.write(1, 0, b('gone'), undefined);
      w.snapshot(1, 0, b('k'), b('old'));
      w.snapshot(1, 0, b('gone'), b('old'));
      w.snapshot(1, 0, b('other'), b('snap'));
      w.end(1, 0);
      // After END, a write wins as usual.
      w.write(1, 0, b('other'), b('later'));
    });
    expect(lookup(mirror, 'b', 0, 'k')).toBe('new');
    expect(lookup(mirror, 'b', 0, 'gone')).toBe('absent');
    expect(lookup(mirror, 'b', 0, 'other')).toBe('later');
  });

  it('forgets a copy on DROP, every copy on RESET, and ignores writes to copies it does not have', () => {
    const mirror = applied((w) => {
      for (const partition of [0, 1]) {
        w.begin(0, partition);
        w.snapshot(0, partition, b('k'), b(`v${partition}`));
        w.end(0, partition);
      }
      w.drop(0, 0);
      w.write(0, 0, b('k'), b('ignored'));
    });
    expect(lookup(mirror, 'a', 0, 'k')).toBe('not here');
    expect(lookup(mirror, 'a', 1, 'k')).toBe('v1');
    applied((w) => w.reset(), mirror);
    expect(lookup(mirror, 'a', 1, 'k')).toBe('not here');
    expect(mirror.size('a')).toBe(0);
  });

  it('carries binary keys and values, empty ones and ones larger than its first buffer, exactly', () => {
    const big = Buffer.alloc(200_000, 7);
    const binary = Buffer.from([0, 255, 128, 10]);
    const mirror = applied((w) => {
      w.begin(0, 70_000);
      w.end(0, 70_000);
      w.write(0, 70_000, binary, big);
      w.write(0, 70_000, b(''), b(''));
    });
    const found = mirror.get('a', 70_000, binary);
    expect(found.here && found.value?.equals(big)).toBe(true);
    expect(lookup(mirror, 'a', 70_000, '')).toBe('');
  });

  it('hands over nothing when nothing was written, and each operation once', () => {
    const writer = new MirrorWriter();
    expect(writer.take()).toBeUndefined();
    writer.reset();
    expect(writer.take()?.byteLength).toBe(7);
    expect(writer.take()).toBeUndefined();
  });

  it('keeps values that outlive the buffer they came in', () => {
    const writer = new MirrorWriter();
    const mirror = new StoreMirror(STORES);
    writer.begin(0, 0);
    writer.end(0, 0);
    writer.write(0, 0, b('k'), b('value'));
    const operations = writer.take() as ArrayBuffer;
    mirror.apply(operations);
    new Uint8Array(operations).fill(0);
    expect(lookup(mirror, 'a', 0, 'k')).toBe('value');
  });
});
