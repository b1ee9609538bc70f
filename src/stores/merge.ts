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
