import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { KeyValueStore } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';
import { forwardUpdate, skip } from './skips.js';
import type { ValueGetter, ValueGetterSupplier } from './value-getter.js';

type Supplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;

/** How a table-table join treats a key missing on one side. */
export type TableJoinKind = 'inner' | 'left' | 'outer';

/** The joined value of a key, from both sides as they stand; undefined when the join has none. */
export function joinedValue<V1, V2, VR>(
  kind: TableJoinKind,
  left: V1 | undefined,
  right: V2 | undefined,
  joiner: (left: V1 | undefined, right: V2 | undefined) => VR,
): VR | undefined {
  if (left === undefined && right === undefined) return undefined;
  if (kind === 'inner' && (left === undefined || right === undefined)) return undefined;
  if (kind === 'left' && left === undefined) return undefined;
  return joiner(left, right);
}

/**
 * One side of a table-table join: an update of this side's key is joined with the other side's value as it
 * stands, and the result (null when the join has none for the key now) is forwarded. Each side has one.
 */
export function tableJoinSideProcessor<K, V, VO, VR>(
  other: ValueGetterSupplier<K, VO>,
  result: (key: K, mine: V | undefined, theirs: VO | undefined) => VR | undefined,
): Supplier<K, V | null, K, VR | null> {
  return () => {
    let context: ProcessorContext<K, VR | null>;
    let lookup: ValueGetter<K, VO>;
    return {
      init(ctx) {
        context = ctx;
        lookup = other.get(ctx as ProcessorContext<unknown, unknown>);
      },
      process(record: StreamRecord<K, V | null>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        const value = result(record.key, record.value ?? undefined, lookup(record.key));
        context.forward({ ...record, value: value ?? null });
      },
    };
  };
}

/** A table update on its way to a regrouped aggregation: the value to take away, the one to add, or both. */
export interface Change<V> {
  readonly oldValue?: V;
  readonly newValue?: V;
}

/** Both halves of a change in one record: `<flags:1>` (1: old, 2: new), `<old length:4> <old> <new>`. */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return Serdes.from(
    (change, topic) => {
      const old = change.oldValue === undefined ? undefined : inner.serialize(change.oldValue, topic);
      const next = change.newValue === undefined ? undefined : inner.serialize(change.newValue, topic);
      const head = Buffer.allocUnsafe(5);
      head[0] = (old ? 1 : 0) | (next ? 2 : 0);
      head.writeUInt32BE(old?.length ?? 0, 1);
      return Buffer.concat([head, old ?? Buffer.alloc(0), next ?? Buffer.alloc(0)]);
    },
    (data, topic) => {
      const length = data.readUInt32BE(1);
      return {
        ...((data[0] as number) & 1
          ? { oldValue: inner.deserialize(data.subarray(5, 5 + length), topic) }
          : {}),
        ...((data[0] as number) & 2 ? { newValue: inner.deserialize(data.subarray(5 + length), topic) } : {}),
      };
    },
  );
}

/**
 * KTable.groupBy's first half: it remembers each key's last value (in `priorStore`), so that an update
 * sends the old value's regrouped pair to be taken away from its group and the new one's to be added to
 * its own, even when the group changed. Kafka Streams gets the old value from the upstream table; here the
 * node keeps it, which makes any table, materialized or not, regroupable.
 */
export function tableRegroupProcessor<K, V, K2, V2>(
  priorStore: string,
  selector: (key: K, value: V) => readonly [K2, V2],
): Supplier<K, V | null, K2, Change<V2>> {
  return () => {
    let context: ProcessorContext<K2, Change<V2>>;
    let prior: KeyValueStore<K, V>;
    return {
      init(ctx) {
        context = ctx;
        prior = ctx.getStateStore<KeyValueStore<K, V>>(priorStore);
      },
      process(record: StreamRecord<K, V | null>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        const old = prior.get(record.key);
        if (record.value === null || record.value === undefined) {
          // A delete of a row that never was (an inner join without a match, say): nothing to take away.
          if (old === undefined) return;
          prior.delete(record.key);
        } else prior.put(record.key, record.value);
        const before = old === undefined ? undefined : selector(record.key, old);
        const after =
          record.value === null || record.value === undefined
            ? undefined
            : selector(record.key, record.value);
        if (before && after && before[0] === after[0]) {
          return context.forward({
            ...record,
            key: after[0],
            value: { oldValue: before[1], newValue: after[1] },
          });
        }
        if (before) context.forward({ ...record, key: before[0], value: { oldValue: before[1] } });
        if (after) context.forward({ ...record, key: after[0], value: { newValue: after[1] } });
      },
    };
  };
}

/**
 * KGroupedTable's aggregation: takes the old value away with `subtractor`, then adds the new one with
 * `adder`. An aggregate that `remove` says is empty is deleted (a reduce of nothing, say).
 */
export function tableAggregateProcessor<K, V, A>(
  storeName: string,
  initializer: () => A,
  adder: (key: K, value: V, aggregate: A) => A,
  subtractor: (key: K, value: V, aggregate: A) => A,
  isEmpty: (aggregate: A) => boolean = () => false,
): Supplier<K, Change<V>, K, A | null> {
  return () => {
    let context: ProcessorContext<K, A | null>;
    let store: KeyValueStore<K, A>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<KeyValueStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, Change<V>>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        let aggregate = store.get(record.key) ?? initializer();
        if (record.value.oldValue !== undefined)
          aggregate = subtractor(record.key, record.value.oldValue, aggregate);
        if (record.value.newValue !== undefined)
          aggregate = adder(record.key, record.value.newValue, aggregate);
        if (isEmpty(aggregate)) {
          store.delete(record.key);
          return forwardUpdate(context, { ...record, value: null });
        }
        store.put(record.key, aggregate);
        forwardUpdate(context, { ...record, value: aggregate });
      },
    };
  };
}

/** KTable.mapValues into a store of its own (materialized): deletes stay deletes, a null result deletes. */
export function tableMapValuesToStoreProcessor<K, V, V2>(
  storeName: string,
  mapper: (value: V, key: K) => V2,
): Supplier<K, V | null, K, V2 | null> {
  return () => {
    let context: ProcessorContext<K, V2 | null>;
    let store: KeyValueStore<K, V2>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<KeyValueStore<K, V2>>(storeName);
      },
      process(record: StreamRecord<K, V | null>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        if (record.value === null || record.value === undefined) {
          store.delete(record.key);
          return context.forward({ ...record, value: null });
        }
        const value = mapper(record.value, record.key);
        // As in Kafka Streams, a null result is a delete.
        if (value === null || value === undefined) store.delete(record.key);
        else store.put(record.key, value);
        context.forward({ ...record, value: value ?? null });
      },
    };
  };
}
