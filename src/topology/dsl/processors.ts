import type { KeyValueStore } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';
import { forwardUpdate, skip } from './skips.js';
import type { ValueGetter, ValueGetterSupplier } from './value-getter.js';

/** The built-in processors that the DSL compiles to. Each forwards new immutable records. */

type Supplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * A processor made of one function: `setUp` runs at init with the task's context (to look up stores) and
 * returns what handles each record.
 */
function processorOf<KIn, VIn, KOut, VOut>(
  setUp: (context: ProcessorContext<KOut, VOut>) => (record: StreamRecord<KIn, VIn>) => void,
): Supplier<KIn, VIn, KOut, VOut> {
  return () => {
    let handle: (record: StreamRecord<KIn, VIn>) => void = () => {
      throw new Error('a processor was given a record before init');
    };
    return {
      init: (context) => {
        handle = setUp(context);
      },
      process: (record) => handle(record),
    };
  };
}

export function filterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean) {
  return processorOf<K, V, K, V>((context) => (record) => {
    if (predicate(record.key, record.value) === keep) context.forward(record);
  });
}

export function mapProcessor<K, V, K2, V2>(
  mapper: (key: K, value: V) => readonly [K2, V2] | { key: K2; value: V2 },
) {
  return processorOf<K, V, K2, V2>((context) => (record) => {
    const mapped = mapper(record.key, record.value);
    const [key, value] = Array.isArray(mapped)
      ? mapped
      : [(mapped as { key: K2 }).key, (mapped as { value: V2 }).value];
    context.forward({ ...record, key, value });
  });
}

export function mapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2) {
  return processorOf<K, V, K, V2>(
    (context) => (record) => context.forward({ ...record, value: mapper(record.value, record.key) }),
  );
}

export function flatMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => Iterable<V2>) {
  return processorOf<K, V, K, V2>((context) => (record) => {
    for (const value of mapper(record.value, record.key)) context.forward({ ...record, value });
  });
}

export function selectKeyProcessor<K, V, K2>(selector: (key: K, value: V) => K2) {
  return processorOf<K, V, K2, V>(
    (context) => (record) => context.forward({ ...record, key: selector(record.key, record.value) }),
  );
}

export function peekProcessor<K, V>(action: (key: K, value: V) => void) {
  return processorOf<K, V, K, V>((context) => (record) => {
    action(record.key, record.value);
    context.forward(record);
  });
}

/** Forwards every record unchanged: the node a KTable's toStream() adds. */
export function passThroughProcessor<K, V>() {
  return processorOf<K, V, K, V>((context) => (record) => context.forward(record));
}

/**
 * Folds records into a store per key and forwards each new aggregate. Records with a null key or a null
 * value cannot be aggregated; they are counted and passed over, as Kafka Streams does.
 */
export function aggregateProcessor<K, V, A>(
  storeName: string,
  initializer: () => A,
  aggregator: (key: K, value: V, aggregate: A) => A,
) {
  return processorOf<K, V, K, A>((context) => {
    const store = context.getStateStore<KeyValueStore<K, A>>(storeName);
    return (record) => {
      if (record.key === null || record.key === undefined) return skip(context, 'null key');
      if (record.value === null || record.value === undefined) return skip(context, 'null value');
      const next = aggregator(record.key, record.value, store.get(record.key) ?? initializer());
      store.put(record.key, next);
      forwardUpdate(context, { ...record, value: next });
    };
  });
}

/** Materializes a source topic as a table: a null value deletes the key. Forwards every change. */
export function tableSourceProcessor<K, V>(storeName: string) {
  return processorOf<K, V | null, K, V | null>((context) => {
    const store = context.getStateStore<KeyValueStore<K, V>>(storeName);
    return (record) => {
      if (record.key === null || record.key === undefined) return skip(context, 'null key');
      if (record.value === null || record.value === undefined) store.delete(record.key);
      else store.put(record.key, record.value);
      context.forward(record);
    };
  });
}

/** KTable.filter: a record the predicate rejects becomes a delete downstream. */
export function tableFilterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean) {
  return processorOf<K, V | null, K, V | null>((context) => (record) => {
    const passes = record.value !== null && predicate(record.key, record.value) === keep;
    context.forward(passes ? record : { ...record, value: null });
  });
}

/** KTable.mapValues: deletes stay deletes. */
export function tableMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2) {
  return processorOf<K, V | null, K, V2 | null>(
    (context) => (record) =>
      context.forward({ ...record, value: record.value === null ? null : mapper(record.value, record.key) }),
  );
}

/**
 * A stream-table join: each stream record looks its key up in the table as it stands. An inner join
 * forwards only matches; a left join forwards every record, with undefined for a missing table value.
 * Stream records with a null key or value cannot join and are skipped (and counted), as Kafka Streams does.
 */
/** A stream joined with a global table on a key derived from each record. */
export function streamGlobalTableJoinProcessor<K, V, GK, GV, VR>(
  table: ValueGetterSupplier<GK, GV>,
  keySelector: (key: K, value: V) => GK,
  joiner: (value: V, tableValue: GV | undefined, key: K) => VR,
  left: boolean,
) {
  return processorOf<K, V, K, VR>((context) => {
    const lookup: ValueGetter<GK, GV> = table.get(context as ProcessorContext<unknown, unknown>);
    return (record) => {
      if (record.value === null || record.value === undefined) return skip(context, 'null value');
      const tableKey = keySelector(record.key as K, record.value);
      // As Kafka Streams: a record whose derived key is null joins nothing (a left join keeps it).
      const tableValue = tableKey === null || tableKey === undefined ? undefined : lookup(tableKey);
      if (tableValue === undefined && !left) return;
      context.forward({ ...record, value: joiner(record.value, tableValue, record.key as K) });
    };
  });
}

export function streamTableJoinProcessor<K, V, VT, VR>(
  table: ValueGetterSupplier<K, VT>,
  joiner: (value: V, tableValue: VT | undefined, key: K) => VR,
  left: boolean,
) {
  return processorOf<K, V, K, VR>((context) => {
    const lookup: ValueGetter<K, VT> = table.get(context as ProcessorContext<unknown, unknown>);
    return (record) => {
      if (record.key === null || record.key === undefined) return skip(context, 'null key');
      if (record.value === null || record.value === undefined) return skip(context, 'null value');
      const tableValue = lookup(record.key);
      if (tableValue === undefined && !left) return;
      context.forward({ ...record, value: joiner(record.value, tableValue, record.key) });
    };
  });
}
