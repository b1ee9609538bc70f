import type { Admin, ITopicConfig } from 'kafkajs';
import { StreamsError } from '../errors.js';
import type { Subtopology, Topology } from '../topology.js';
import type { AssignableSubtopology } from './assignor.js';
import { skipsTopicConfig } from './skip-list.js';

/** The topics a running topology needs, with partition counts, and which of them probestream creates. */
export interface TopicPlan {
  readonly subtopologies: readonly AssignableSubtopology[];
  /** Partition count of every physical topic the topology reads or writes. */
  readonly partitions: ReadonlyMap<string, number>;
  readonly internal: readonly ITopicConfig[];
  /** The dead-letter queue: as many partitions as the widest input, a dead letter in its record's. */
  readonly dlqTopic: string;
}

export interface TopicNaming {
  topicName(topic: string, internal: boolean): string;
  changelogTopic(storeName: string): string;
  readonly dlqTopic: string;
  /** Records an operator told the application to pass over (see skip-list.ts). */
  readonly skipsTopic?: string;
}

/**
 * Each sub-topology's partition count: its user source topics' (which must agree), else, for one fed only
 * by repartition topics, its upstream's. Sets the count of every repartition topic in `counts`.
 */
function subtopologyPartitions(
  subs: readonly Subtopology[],
  naming: TopicNaming,
  counts: Map<string, number>,
): Map<number, number> {
  const subCount = new Map<number, number>();

  for (const sub of subs) {
    const userSources = sub.sources.filter((s) => !s.internal).flatMap((s) => s.topics);
    const distinct = new Set(userSources.map((topic) => counts.get(topic)));
    if (distinct.size > 1) {
      const described = userSources.map((topic) => `${topic} (${counts.get(topic)} partitions)`).join(', ');
      throw new StreamsError(
        'TOPICS_NOT_COPARTITIONED',
        `topics read together (joined) must have the same number of partitions, but ${described} do not`,
      );
    }
    if (userSources.length > 0) subCount.set(sub.id, counts.get(userSources[0] as string) as number);
  }
  // Sub-topologies fed only by repartition topics take their count from upstream; repeat until settled.
  for (let changed = true; changed; ) {
    changed = false;
    for (const sub of subs) {
      for (const sink of sub.sinks.filter((s) => s.internal)) {
        const topic = naming.topicName(sink.topic, true);
        const reader = subs.find((s) =>
          s.sources.some((src) => src.internal && src.topics.includes(sink.topic)),
        );
        const count = (reader && subCount.get(reader.id)) ?? subCount.get(sub.id);
        if (count !== undefined && counts.get(topic) !== count) {
          counts.set(topic, count);
          changed = true;
        }
        if (reader && count !== undefined && !subCount.has(reader.id)) {
          subCount.set(reader.id, count);
          changed = true;
        }
      }
    }
  }
  return subCount;
}

/**
 * Works out partition counts: a sub-topology has as many tasks as its (co-partitioned) source topics have
 * partitions; a repartition topic gets the count of the sub-topology that reads it when that one also reads
 * user topics (a join), else of the one that writes it; a changelog matches its sub-topology.
 */
export function planTopics(
  topology: Topology,
  naming: TopicNaming,
  userTopicPartitions: ReadonlyMap<string, number>,
): TopicPlan {
  const subs = topology.subtopologies();
  const counts = new Map<string, number>(userTopicPartitions);
  const subCount = subtopologyPartitions(subs, naming, counts);

  const internal: ITopicConfig[] = [];
  const subtopologies = subs.map((sub) => {
    const partitions = subCount.get(sub.id);
    if (partitions === undefined) throw new Error(`no partition count for sub-topology ${sub.id}: a bug`);
    for (const store of sub.stores) {
      if (!store.logging || store.sourceTopic) continue;
      const topic = naming.changelogTopic(store.name);
      counts.set(topic, partitions);
      internal.push({
        topic,
        numPartitions: partitions,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      });
    }
    const topics = sub.sources.flatMap((source) =>
      source.topics.map((topic) => naming.topicName(topic, source.internal)),
    );
    return { id: sub.id, topics, partitions };
  });
  for (const sub of subs) {
    for (const sink of sub.sinks.filter((s) => s.internal)) {
      const topic = naming.topicName(sink.topic, true);
      // Kept until purged after commit (RepartitionPurger), not by time: records of a replayed capture carry
      // their old event time and would otherwise be deleted before they are read.
      internal.push({
        topic,
        numPartitions: counts.get(topic) as number,
        configEntries: [{ name: 'retention.ms', value: '-1' }],
      });
    }
  }
  const dlqPartitions = Math.max(1, ...subCount.values());
  counts.set(naming.dlqTopic, dlqPartitions);
  internal.push({ topic: naming.dlqTopic, numPartitions: dlqPartitions });
  if (naming.skipsTopic !== undefined) {
    counts.set(naming.skipsTopic, 1);
    internal.push(skipsTopicConfig(naming.skipsTopic));
  }
  return { subtopologies, partitions: counts, internal, dlqTopic: naming.dlqTopic };
}

/** The user topics (not internal) that a topology reads or writes. */
export function userTopics(topology: Topology): string[] {
  const topics = new Set<string>();
  for (const node of topology.nodes) {
    if (node.kind === 'source' && !node.internal) for (const topic of node.topics) topics.add(topic);
    if (node.kind === 'sink' && !node.internal) topics.add(node.topic);
  }
  for (const store of topology.globalStores()) topics.add(store.topic);
  return [...topics];
}

/** Partition counts of the user topics; fails with MISSING_TOPIC naming every one that does not exist. */
export async function fetchUserTopicPartitions(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new StreamsError(
      'MISSING_TOPIC',
      `the topology uses topics that do not exist: ${missing.join(', ')}`,
    );
  }
  if (topics.length === 0) return new Map();
  const metadata = await settledMetadata(admin, [...topics]);
  return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
}

/**
 * Creates the internal topics that are missing, and checks the partition counts of all of them. Instances
 * starting together race to create the same topics: whoever loses finds them created, which is fine.
 */
export async function ensureInternalTopics(admin: Admin, plan: TopicPlan): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = plan.internal.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (error) {
      const now = new Set(await admin.listTopics());
      if (!missing.every((t) => now.has(t.topic))) throw error;
    }
  }
  // Wait for leaders (a topic another instance just created may not have them yet) and check the counts.
  const topics = plan.internal.map((t) => t.topic);
  let metadata = await settledMetadata(admin, topics);
  for (let attempt = 0; attempt < 50 && !allLed(metadata.topics); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    metadata = await settledMetadata(admin, topics);
  }
  for (const topic of metadata.topics) {
    const wanted = plan.partitions.get(topic.name);
    if (topic.name === plan.dlqTopic && wanted !== undefined) {
      await fitDlq(admin, plan, topic.partitions.length, wanted);
      continue;
    }
    if (wanted !== undefined && topic.partitions.length !== wanted) {
      throw new StreamsError(
        'INTERNAL_TOPIC_MISMATCH',
        `internal topic ${topic.name} has ${topic.partitions.length} partitions, the topology needs ${wanted}`,
      );
    }
  }
}

/**
 * A DLQ made with fewer partitions (by an older version, with one) gets more, so dead letters can follow
 * their records' partitions; one with more keeps them, and dead letters use them all.
 */
async function fitDlq(admin: Admin, plan: TopicPlan, has: number, wanted: number): Promise<void> {
  if (has < wanted) {
    try {
      await admin.createPartitions({ topicPartitions: [{ topic: plan.dlqTopic, count: wanted }] });
    } catch (error) {
      // Another instance grew it first.
      if ((error as { type?: string }).type !== 'INVALID_PARTITIONS') throw error;
    }
    // The brokers learn of new partitions a moment later; producing to one before that fails.
    for (let attempt = 0; attempt < 100; attempt++) {
      const { topics } = await settledMetadata(admin, [plan.dlqTopic]);
      if ((topics[0]?.partitions.length ?? 0) >= wanted && allLed(topics)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new StreamsError(
      'INTERNAL_TOPIC_MISMATCH',
      `${plan.dlqTopic} did not grow to ${wanted} partitions`,
    );
  }
  (plan.partitions as Map<string, number>).set(plan.dlqTopic, has);
}

/**
 * Topic metadata, retried while the broker does not know a topic yet: right after a topic is created (here
 * or by another instance) a broker may answer UNKNOWN_TOPIC_OR_PARTITION for a while.
 */
async function settledMetadata(admin: Admin, topics: string[]) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.fetchTopicMetadata({ topics });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function allLed(topics: readonly { partitions: readonly { leader: number }[] }[]): boolean {
  return topics.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0));
}
