import type { KeyValue } from './key-value-store.js';

/** A write buffered above a store: a value, or null for a delete. */
export interface BufferedWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * The entries of a store below with buffered writes laid over them, in key order: a buffered put adds or
 * replaces an entry, a buffered delete hides one. `writes` must be sorted by key, one write per key.
 * `assertOpen` runs before every entry is yielded, so that closing the store ends the iteration.
 */
export async function* overlaid(
  below: AsyncIterable<KeyValue<Buffer, Buffer>>,
  writes: readonly BufferedWrite[],
  assertOpen: () => void,
): AsyncGenerator<KeyValue<Buffer, Buffer>> {
  let next = 0;
  for await (const entry of below) {
    let order = -1;
    for (; next < writes.length; next++) {
      const { key, value } = writes[next] as BufferedWrite;
      order = Buffer.compare(key, entry.key);
      if (order > 0) break;
      assertOpen();
      if (value !== null) yield { key, value };
      if (order === 0) {
        next++;
        break;
      }
    }
    if (order !== 0) {
      assertOpen();
      yield entry;
    }
  }
  for (; next < writes.length; next++) {
    const { key, value } = writes[next] as BufferedWrite;
    assertOpen();
    if (value !== null) yield { key, value };
  }
}

/**
 * Merges sources that are each sorted by key bytes (unsigned, as every store iterates) into one sequence in
 * that order: a k-way merge over a min-heap of the sources' heads. Entries with equal keys come in the order
 * of their sources. Ending the merge early (break, return, throw) ends every source, so that each releases
 * what it holds (a LevelDB iterator, say).
 */
export async function* mergeSortedByKey<V>(
  sources: readonly AsyncIterable<KeyValue<Buffer, V>>[],
): AsyncGenerator<KeyValue<Buffer, V>> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heap: { entry: KeyValue<Buffer, V>; source: number }[] = [];
  const before = (i: number, j: number) => {
    const a = heap[i] as (typeof heap)[number];
    const b = heap[j] as (typeof heap)[number];
    const order = Buffer.compare(a.entry.key, b.entry.key);
    return order < 0 || (order === 0 && a.source < b.source);
  };
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j] as (typeof heap)[number], heap[i] as (typeof heap)[number]];
  };
  const push = (entry: KeyValue<Buffer, V>, source: number) => {
    heap.push({ entry, source });
    for (let i = heap.length - 1; i > 0 && before(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const popTop = () => {
    const last = heap.pop() as (typeof heap)[number];
    if (heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const [left, right] = [2 * i + 1, 2 * i + 2];
      let least = i;
      if (left < heap.length && before(left, least)) least = left;
      if (right < heap.length && before(right, least)) least = right;
      if (least === i) return;
      swap(i, least);
      i = least;
    }
  };
  const done = new Set<number>();
  try {
    // The first step of every source at once: each may have to open and read its store.
    const firsts = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (const [source, first] of firsts.entries()) {
      if (first.done) done.add(source);
      else push(first.value, source);
    }
    while (heap.length > 0) {
      const { entry, source } = heap[0] as (typeof heap)[number];
      yield entry;
      popTop();
      const next = await (iterators[source] as AsyncIterator<KeyValue<Buffer, V>>).next();
      if (next.done) done.add(source);
      else push(next.value, source);
    }
  } finally {
    await Promise.all(
      iterators.map((iterator, source) => (done.has(source) ? undefined : iterator.return?.())),
    );
  }
}
