import type { Serde } from '../../serdes/index.js';
import { Serdes } from '../../serdes/index.js';
import { Stores } from '../store-builder.js';
import {
  leftUpdateProcessor,
  responseProcessor,
  responseSerde,
  resultProcessor,
  rightUpdateProcessor,
  subscribersSerde,
  subscriptionProcessor,
  subscriptionSerde,
} from './foreign-key-processors.js';
import { KTable } from './ktable.js';
import type { BuildContext } from './streams-builder.js';
import { storeGetter } from './table-operations.js';

/** Where a foreign-key join keeps its result: a store name, and the value serde (Json by default). */
export interface ForeignKeyJoined<VR> {
  /**
   * Names the join's internal topics and stores (`<name>-subscription-registration-repartition`, …), as
   * Kafka Streams' `TableJoined.as` does: without it they take a generated name that changes when an
   * operator is added before the join, and a running application would lose its subscriptions.
   */
  readonly name?: string;
  readonly storeName?: string;
  readonly valueSerde?: Serde<VR>;
}

/**
 * A foreign-key table-table join (KIP-213): each left row is joined with the right row whose key
 * `foreignKey(leftValue)` gives, and the result is keyed by the left key. The two tables need not be
 * co-partitioned. Each left row subscribes to its foreign key through
 * `<application.id>-<name>-subscription-registration-repartition`, keyed (and so partitioned) like the right
 * table; the right side keeps each foreign key's subscribers in a logged store and answers through
 * `<name>-subscription-response-repartition`, keyed like the left table, whenever a subscription comes or the
 * right row changes. An answer carries a hash of the left value it was for: one that no longer matches the
 * left row (its value changed, or its foreign key, and the answer for the new one is on its way) is dropped,
 * so answers crossing each other between partitions never leave a stale result. A left row whose foreign
 * key is null or that is deleted gets its result at once. Results are kept in a store of their own.
 */
export function foreignKeyJoin<K, V, KO, VO, VR>(
  context: BuildContext,
  left: KTable<K, V>,
  right: KTable<KO, VO>,
  foreignKey: (value: V) => KO | null | undefined,
  joiner: (value: V, other: VO | undefined) => VR,
  kind: 'inner' | 'left',
  joined: ForeignKeyJoined<VR> = {},
): KTable<K, VR> {
  const topology = context.topology;
  const name = joined.name ?? context.names.next(kind === 'inner' ? 'KTABLE-FK-JOIN' : 'KTABLE-FK-LEFTJOIN');
  const node = (role: string) => `${name}-${role}`;
  const subscriptionTopic = `${name}-subscription-registration-repartition`;
  const responseTopic = `${name}-subscription-response-repartition`;
  const valueSerde = joined.valueSerde ?? Serdes.Json<VR>();
  const resultStore = joined.storeName ?? `${name}-STATE-STORE`;
  const subscribersStore = `${name}-subscriptions`;
  const priorStore = `${name}-foreign-keys`;
  const unmatched = (value: V) => (kind === 'left' ? joiner(value, undefined) : undefined);
  const bytesKeyed = <T>(serde: Serde<T>) => ({
    keySerde: Serdes.Buffer(),
    valueSerde: serde,
    internal: true,
  });

  // The left side: subscriptions out, answers in, results.
  topology.addProcessor(
    node('left'),
    leftUpdateProcessor(priorStore, {
      keySerde: left.keySerde,
      valueSerde: left.valueSerde,
      foreignKeySerde: right.keySerde,
      foreignKey,
      unmatched,
      subscribeNode: node('subscribe'),
      resultNode: node('result'),
    }),
    left.nodeName,
  );
  topology.addStateStore(
    Stores.keyValueStore({ name: priorStore, keySerde: left.keySerde, valueSerde: Serdes.Buffer() }),
    node('left'),
  );
  topology.addSink(node('subscribe'), subscriptionTopic, bytesKeyed(subscriptionSerde), node('left'));

  // The right side: subscribers kept by foreign key, answers out.
  topology.addSource(node('subscriptions'), subscriptionTopic, bytesKeyed(subscriptionSerde));
  topology.addProcessor(
    node('subscription'),
    subscriptionProcessor(subscribersStore, right.valueGetter, right.valueSerde, right.keySerde),
    node('subscriptions'),
  );
  topology.connectProcessorAndStateStores(node('subscription'), ...right.valueGetter.storeNames);
  topology.addProcessor(
    node('right'),
    rightUpdateProcessor(subscribersStore, right.valueSerde, right.keySerde),
    right.nodeName,
  );
  topology.addStateStore(
    Stores.keyValueStore({ name: subscribersStore, keySerde: Serdes.Buffer(), valueSerde: subscribersSerde }),
    node('subscription'),
    node('right'),
  );
  topology.addSink(
    node('respond'),
    responseTopic,
    bytesKeyed(responseSerde),
    node('subscription'),
    node('right'),
  );

  // Back on the left side: fresh answers joined, stale ones dropped.
  topology.addSource(node('responses'), responseTopic, bytesKeyed(responseSerde));
  const leftSide = { keySerde: left.keySerde, valueSerde: left.valueSerde, unmatched };
  topology.addProcessor(
    node('resolve'),
    responseProcessor(leftSide, left.valueGetter, right.valueSerde, joiner),
    node('responses'),
  );
  topology.connectProcessorAndStateStores(node('resolve'), ...left.valueGetter.storeNames);
  topology.addProcessor(node('result'), resultProcessor(resultStore), node('left'), node('resolve'));
  topology.addStateStore(
    Stores.keyValueStore({ name: resultStore, keySerde: left.keySerde, valueSerde }),
    node('result'),
  );
  return new KTable(
    context,
    node('result'),
    left.keySerde,
    valueSerde,
    resultStore,
    storeGetter<K, VR>(resultStore),
  );
}
