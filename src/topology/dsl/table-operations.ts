import type { Serde } from '../../serdes/index.js';
import type { KeyValueStore } from '../../stores/index.js';
import { Stores } from '../store-builder.js';
import { KGroupedTable } from './kgrouped-table.js';
import type { Grouped } from './kstream.js';
import { KTable } from './ktable.js';
import { passThroughProcessor } from './processors.js';
import type { BuildContext } from './streams-builder.js';
import {
  joinedValue,
  type TableJoinKind,
  tableJoinSideProcessor,
  tableRegroupProcessor,
} from './table-processors.js';

/**
 * A table-table join on the key: an update on either side is joined with the other side as it stands. Both
 * tables must be co-partitioned; the engine checks it at start. Inner: both sides; left: the left side, the
 * right one maybe missing (undefined); outer: either side. When the join has no result for a key any more,
 * a delete goes downstream.
 */
export function joinTables<K, V1, V2, VR>(
  context: BuildContext,
  left: KTable<K, V1>,
  right: KTable<K, V2>,
  joiner: (left: V1 | undefined, right: V2 | undefined) => VR,
  kind: TableJoinKind,
  valueSerde: Serde<VR>,
): KTable<K, VR> {
  const prefix = `KTABLE-${kind === 'inner' ? '' : kind.toUpperCase()}JOIN`;
  const [leftName, rightName, mergeName] = [
    context.names.next(`${prefix}THIS`),
    context.names.next(`${prefix}OTHER`),
    context.names.next('KTABLE-MERGE'),
  ];
  const topology = context.topology;
  const fromLeft = tableJoinSideProcessor<K, V1, V2, VR>(right.valueGetter, (_key, mine, theirs) =>
    joinedValue(kind, mine, theirs, joiner),
  );
  const fromRight = tableJoinSideProcessor<K, V2, V1, VR>(left.valueGetter, (_key, mine, theirs) =>
    joinedValue(kind, theirs, mine, joiner),
  );
  topology.addProcessor(leftName, fromLeft, left.nodeName);
  topology.addProcessor(rightName, fromRight, right.nodeName);
  topology.connectProcessorAndStateStores(leftName, ...right.valueGetter.storeNames);
  topology.connectProcessorAndStateStores(rightName, ...left.valueGetter.storeNames);
  topology.addProcessor(mergeName, passThroughProcessor(), leftName, rightName);
  return new KTable(context, mergeName, left.keySerde, valueSerde, undefined, {
    storeNames: [...new Set([...left.valueGetter.storeNames, ...right.valueGetter.storeNames])],
    get: (processorContext) => {
      const [getLeft, getRight] = [
        left.valueGetter.get(processorContext),
        right.valueGetter.get(processorContext),
      ];
      return (key) => joinedValue(kind, getLeft(key), getRight(key), joiner);
    },
  });
}

/**
 * KTable.groupBy: each row mapped to a (group, value) pair by `selector`, sent through
 * `<application.id>-<name>-repartition` as the old pair to take away and the new one to add.
 */
export function regroupTable<K, V, K2, V2>(
  context: BuildContext,
  table: KTable<K, V>,
  selector: (key: K, value: V) => readonly [K2, V2],
  grouped: Grouped<K2, V2> & { readonly keySerde: Serde<K2>; readonly valueSerde: Serde<V2> },
): KGroupedTable<K2, V2> {
  const name = context.names.next('KTABLE-SELECT');
  const topicName = grouped.name ?? name;
  const priorStore = `${topicName}-prior`;
  const topology = context.topology;
  topology.addProcessor(name, tableRegroupProcessor(priorStore, selector), table.nodeName);
  // The last value of each row, to know what to take away: a store of the upstream task, logged.
  topology.addStateStore(
    Stores.keyValueStore({ name: priorStore, keySerde: table.keySerde, valueSerde: table.valueSerde }),
    name,
  );
  const topic = `${topicName}-repartition`;
  const serdes = {
    keySerde: grouped.keySerde,
    valueSerde: KGroupedTable.changeSerde(grouped.valueSerde),
    internal: true,
  };
  const [sinkName, sourceName] = [context.names.next('KSTREAM-SINK'), context.names.next('KSTREAM-SOURCE')];
  topology.addSink(sinkName, topic, serdes, name);
  topology.addSource(sourceName, topic, serdes);
  return new KGroupedTable(context, sourceName, grouped.keySerde, grouped.valueSerde);
}

/** The getter of a table materialized in a store of its own. */
export function storeGetter<K, V>(storeName: string) {
  return {
    storeNames: [storeName],
    get: (context: import('../processor.js').ProcessorContext<unknown, unknown>) => {
      const store = context.getStateStore<KeyValueStore<K, V>>(storeName);
      return (key: K) => store.get(key);
    },
  };
}
