import type { ProcessorContext } from '../processor.js';

/** Looks a key up in a KTable as it stands now: undefined when absent (or filtered out). */
export type ValueGetter<K, V> = (key: K) => V | undefined;

/**
 * Makes a table's getter inside a task. Filtered and mapped tables have no store of their own; their getter
 * applies the filter or mapper to the getter of the table they came from, at lookup time.
 */
export interface ValueGetterSupplier<K, V> {
  /** The stores a processor must be connected to for `get` to work. */
  readonly storeNames: readonly string[];
  get(context: ProcessorContext<unknown, unknown>): ValueGetter<K, V>;
}
