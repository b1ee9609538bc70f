import type { KeyValue } from '../../stores/index.js';

/**
 * Every entry of a store's active copies in one instance, in no order, with the partitions they are: what a
 * scan that runs where the data lives (ksqlDB's scatter-gather) reads. Whoever gathers the parts of every
 * instance checks that the partitions are each covered once, so that no rebalance in between makes it miss
 * or repeat rows.
 */
export interface ActiveEntries<K, V> {
  /** The store's partitions these entries are, each complete and up to date (active, not restoring). */
  readonly partitions: readonly number[];
  /** How many partitions the store has in all. */
  readonly partitionCount: number;
  readonly entries: Iterable<KeyValue<K, V>>;
}

/** An engine that can hand a store's active copies over at once (WorkerStreams, from its mirror). */
export interface ActiveEntriesSource {
  /**
   * The store's active copies here, or undefined when they cannot be had at once (a copy still being sent,
   * a rebalance under way, a store not mirrored): read them otherwise then, through `localEntries`.
   */
  activeEntries<K, V>(storeName: string): ActiveEntries<K, V> | undefined;
}
