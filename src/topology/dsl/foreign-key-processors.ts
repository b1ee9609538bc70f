import { createHash } from 'node:crypto';
import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import type { KeyValueStore } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';
import { skip } from './skips.js';
import type { ValueGetterSupplier } from './value-getter.js';

type Supplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;

const HASH_BYTES = 16;

/** A left row's fingerprint: a response is applied only while the row still has the value it was asked for. */
export function valueHash(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, HASH_BYTES);
}

/**
 * What a left row tells the right side's partition of its foreign key: subscribe (with the hash of the left
 * value, to be sent back with every answer) or unsubscribe. Keyed by the foreign key.
 */
export interface Subscription {
  readonly leftKey: Buffer;
  /** Absent: unsubscribe. */
  readonly hash?: Buffer;
}

/** `<1: subscribe | 0: unsubscribe> [<hash:16>] <left key>` */
export const subscriptionSerde: Serde<Subscription> = Serdes.from(
  (s) =>
    s.hash
      ? Buffer.concat([Buffer.from([1]), s.hash, s.leftKey])
      : Buffer.concat([Buffer.from([0]), s.leftKey]),
  (data) =>
    data[0] === 1
      ? { hash: data.subarray(1, 1 + HASH_BYTES), leftKey: data.subarray(1 + HASH_BYTES) }
      : { leftKey: data.subarray(1) },
);

/** The right side's answer to a left row, keyed by the left key: the right value as it stands, if any. */
export interface Response {
  readonly hash: Buffer;
  /** The right value, serialized; absent when the foreign key has no right row. */
  readonly rightValue?: Buffer;
}

/** `<hash:16> <0 | 1> [<right value>]` */
export const responseSerde: Serde<Response> = Serdes.from(
  (r) => Buffer.concat([r.hash, Buffer.from([r.rightValue ? 1 : 0]), r.rightValue ?? Buffer.alloc(0)]),
  (data) => ({
    hash: data.subarray(0, HASH_BYTES),
    ...(data[HASH_BYTES] === 1 ? { rightValue: data.subarray(HASH_BYTES + 1) } : {}),
  }),
);

/** The subscribers of one foreign key: each left key and the hash of its value. */
type Subscribers = { readonly leftKey: Buffer; readonly hash: Buffer }[];

/** `<count:4>` then `<key length:4> <key> <hash:16>` per subscriber. */
export const subscribersSerde: Serde<Subscribers> = Serdes.from(
  (list) => {
    const uint32 = (n: number) => {
      const bytes = Buffer.allocUnsafe(4);
      bytes.writeUInt32BE(n, 0);
      return bytes;
    };
    return Buffer.concat([
      uint32(list.length),
      ...list.flatMap((s) => [uint32(s.leftKey.length), s.leftKey, s.hash]),
    ]);
  },
  (data) => {
    const list: { leftKey: Buffer; hash: Buffer }[] = [];
    let at = 4;
    for (let i = data.readUInt32BE(0); i > 0; i--) {
      const length = data.readUInt32BE(at);
      const leftKey = data.subarray(at + 4, at + 4 + length);
      list.push({ leftKey, hash: data.subarray(at + 4 + length, at + 4 + length + HASH_BYTES) });
      at += 4 + length + HASH_BYTES;
    }
    return list;
  },
);

/** How the left side serializes what it sends and compares. */
export interface LeftSide<K, V, KO> {
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly foreignKeySerde: Serde<KO>;
  readonly foreignKey: (value: V) => KO | null | undefined;
  /** The join's result for a left row whose foreign key has no right row: undefined (inner) or a value. */
  readonly unmatched: (value: V) => unknown;
  /** The nodes the left updates go to: the subscription topic's sink and the result. */
  readonly subscribeNode: string;
  readonly resultNode: string;
}

/**
 * The left table's updates: each row subscribes to its foreign key's partition (and unsubscribes from the
 * one it had, kept in `priorStore`); a row deleted, or whose foreign key is null, gets its result here.
 */
export function leftUpdateProcessor<K, V, KO>(
  priorStore: string,
  left: LeftSide<K, V, KO>,
): Supplier<K, V | null, Buffer, Subscription | unknown> {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    let prior: KeyValueStore<K, Buffer>;
    return {
      init(ctx) {
        context = ctx as ProcessorContext<unknown, unknown>;
        prior = ctx.getStateStore<KeyValueStore<K, Buffer>>(priorStore);
      },
      process(record: StreamRecord<K, V | null>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        const leftKey = left.keySerde.serialize(record.key);
        const was = prior.get(record.key);
        const value = record.value ?? undefined;
        const foreignKey = value === undefined ? undefined : left.foreignKey(value);
        const now =
          foreignKey === undefined || foreignKey === null
            ? undefined
            : left.foreignKeySerde.serialize(foreignKey);
        if (was && !(now && was.equals(now)))
          context.forward({ ...record, key: was, value: { leftKey } }, left.subscribeNode);
        if (now === undefined) {
          prior.delete(record.key);
          const result = value === undefined ? undefined : left.unmatched(value);
          return context.forward({ ...record, value: result ?? null }, left.resultNode);
        }
        prior.put(record.key, now);
        const hash = valueHash(left.valueSerde.serialize(value as V));
        context.forward({ ...record, key: now, value: { leftKey, hash } }, left.subscribeNode);
      },
    };
  };
}

/**
 * The right side, on the foreign key's partition: keeps each foreign key's subscribers (`store`), answers a
 * subscription with the right value as it stands, and every subscriber when the right row changes.
 */
export function subscriptionProcessor<KO, VO>(
  storeName: string,
  right: ValueGetterSupplier<KO, VO>,
  rightValueSerde: Serde<VO>,
  foreignKeySerde: Serde<KO>,
): Supplier<Buffer, Subscription, Buffer, Response> {
  return () => {
    let context: ProcessorContext<Buffer, Response>;
    let store: KeyValueStore<Buffer, Subscribers>;
    let lookup: (key: KO) => VO | undefined;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<KeyValueStore<Buffer, Subscribers>>(storeName);
        lookup = right.get(ctx as ProcessorContext<unknown, unknown>);
      },
      process(record: StreamRecord<Buffer, Subscription>) {
        const { leftKey, hash } = record.value;
        const others = (store.get(record.key) ?? []).filter((s) => !s.leftKey.equals(leftKey));
        const subscribers = hash ? [...others, { leftKey, hash }] : others;
        if (subscribers.length === 0) store.delete(record.key);
        else store.put(record.key, subscribers);
        if (!hash) return;
        const rightValue = lookup(foreignKeySerde.deserialize(record.key));
        const value =
          rightValue === undefined ? { hash } : { hash, rightValue: rightValueSerde.serialize(rightValue) };
        context.forward({ ...record, key: leftKey, value });
      },
    };
  };
}

/** The right table's updates, sent to every left row subscribed to the key. */
export function rightUpdateProcessor<KO, VO>(
  storeName: string,
  rightValueSerde: Serde<VO>,
  foreignKeySerde: Serde<KO>,
): Supplier<KO, VO | null, Buffer, Response> {
  return () => {
    let context: ProcessorContext<Buffer, Response>;
    let store: KeyValueStore<Buffer, Subscribers>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<KeyValueStore<Buffer, Subscribers>>(storeName);
      },
      process(record: StreamRecord<KO, VO | null>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        const subscribers = store.get(foreignKeySerde.serialize(record.key)) ?? [];
        const rightValue =
          record.value === null || record.value === undefined
            ? undefined
            : rightValueSerde.serialize(record.value);
        for (const { leftKey, hash } of subscribers)
          context.forward({ ...record, key: leftKey, value: rightValue ? { hash, rightValue } : { hash } });
      },
    };
  };
}

/**
 * Back on the left key's partition: an answer is applied only when the left row still has the value it was
 * asked for (same hash); otherwise a later answer is on its way, and this one is dropped as stale.
 */
export function responseProcessor<K, V, VO, VR>(
  left: Pick<LeftSide<K, V, unknown>, 'keySerde' | 'valueSerde' | 'unmatched'>,
  leftTable: ValueGetterSupplier<K, V>,
  rightValueSerde: Serde<VO>,
  joiner: (value: V, other: VO) => VR,
): Supplier<Buffer, Response, K, unknown> {
  return () => {
    let context: ProcessorContext<K, unknown>;
    let lookup: (key: K) => V | undefined;
    return {
      init(ctx) {
        context = ctx;
        lookup = leftTable.get(ctx as ProcessorContext<unknown, unknown>);
      },
      process(record: StreamRecord<Buffer, Response>) {
        const key = left.keySerde.deserialize(record.key);
        const current = lookup(key);
        if (current === undefined || !valueHash(left.valueSerde.serialize(current)).equals(record.value.hash))
          return;
        const { rightValue } = record.value;
        const result =
          rightValue === undefined
            ? left.unmatched(current)
            : joiner(current, rightValueSerde.deserialize(rightValue));
        context.forward({ ...record, key, value: result ?? null });
      },
    };
  };
}

/** The join's result table: each result kept in its store and forwarded (null: deleted). */
export function resultProcessor<K, VR>(storeName: string): Supplier<K, VR | null, K, VR | null> {
  return () => {
    let context: ProcessorContext<K, VR | null>;
    let store: KeyValueStore<K, VR>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<KeyValueStore<K, VR>>(storeName);
      },
      process(record: StreamRecord<K, VR | null>) {
        if (record.value === null || record.value === undefined) store.delete(record.key);
        else store.put(record.key, record.value);
        context.forward(record);
      },
    };
  };
}
