import type { GlobalStoreSpec } from './global-store.js';
import type { Subtopology, TopologyNode } from './topology.js';

/** Prints sub-topologies the way Kafka Streams' TopologyDescription does, so the output reads familiar. */
export function describeTopology(
  subtopologies: readonly Subtopology[],
  children: (name: string) => readonly TopologyNode[],
  globalStores: readonly GlobalStoreSpec[] = [],
): string {
  const lines = ['Topologies:'];
  for (const sub of subtopologies) {
    lines.push(`   Sub-topology: ${sub.id}`);
    for (const node of sub.nodes) {
      const next = children(node.name).map((child) => child.name);
      if (node.kind === 'source') {
        lines.push(`    Source: ${node.name} (topics: [${node.topics.join(', ')}])`);
      } else if (node.kind === 'processor') {
        lines.push(`    Processor: ${node.name} (stores: [${node.stores.join(', ')}])`);
      } else {
        lines.push(`    Sink: ${node.name} (topic: ${node.topic})`);
      }
      if (node.kind !== 'sink') lines.push(`      --> ${next.length ? next.join(', ') : 'none'}`);
      if (node.kind !== 'source') lines.push(`      <-- ${node.parents.join(', ')}`);
    }
  }
  for (const store of globalStores) {
    lines.push(
      `   Global store: ${store.name} (topic: ${store.topic}; held whole by every instance, no tasks)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
