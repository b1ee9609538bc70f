import type { KeyValue } from '../../../stores/index.js';
import type { Topology } from '../../topology.js';
import type { ActiveEntries } from '../active-entries.js';
import type { StoreLag } from '../local-queries.js';
import { keyValueStoreOf } from '../streams-metadata.js';
import type { StoreMirror } from './mirror.js';

/**
 * A store's active copies from the mirror (see ActiveEntries): only when every partition the worker last
 * said it runs, restored, as active has its complete copy here; undefined otherwise. Entries are read
 * (keys and values deserialized) as they are iterated: over several turns of the event loop, a key
 * written meanwhile may be read with its new value, as a page-by-page listing would read it.
 */
export function mirrorActiveEntries<K, V>(
  mirror: StoreMirror,
  topology: Topology,
  storeName: string,
  lags: readonly StoreLag[],
  partitionCounts: ReadonlyMap<number, number>,
): ActiveEntries<K, V> | undefined {
  const { sub, builder } = keyValueStoreOf(topology, storeName);
  const partitionCount = partitionCounts.get(sub.id);
  if (partitionCount === undefined) return undefined;
  const copies: ReadonlyMap<string, Buffer>[] = [];
  const partitions: number[] = [];
  for (const lag of lags) {
    if (lag.store !== storeName || lag.role !== 'active') continue;
    const copy = lag.restoring ? undefined : mirror.copy(storeName, lag.partition);
    if (copy === undefined) return undefined;
    copies.push(copy);
    partitions.push(lag.partition);
  }
  const { keySerde, valueSerde } = builder;
  function* entries(): Generator<KeyValue<K, V>> {
    for (const copy of copies)
      for (const [key, value] of copy)
        yield {
          key: keySerde.deserialize(Buffer.from(key, 'latin1')) as K,
          value: valueSerde.deserialize(value) as V,
        };
  }
  return { partitions, partitionCount, entries: entries() };
}
