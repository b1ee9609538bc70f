import type { Consumer, Kafka } from 'kafkajs';
import { streamsAssignor } from './assignor.js';
import type { StreamsConfig } from './config.js';
import type { TaskManager } from './task-manager.js';
import type { TopicPlan } from './topic-plan.js';

/**
 * The group member of one instance (Kafka Streams' main consumer): the streams assignor, which hands out
 * whole tasks and standbys and carries each member's application.server, and fetch sizes chosen for an
 * engine that shares its event loop.
 */
export function streamsConsumer(
  kafka: Kafka,
  config: StreamsConfig,
  plan: TopicPlan,
  tasks: TaskManager,
): Consumer {
  return kafka.consumer({
    groupId: config.applicationId,
    partitionAssigners: [
      streamsAssignor({
        subtopologies: () => plan.subtopologies,
        memberInfo: () => ({
          server: config.applicationServer ?? null,
          tasks: tasks.activeTaskIds(),
          standbys: tasks.standbyTaskIds(),
        }),
        standbyReplicas: config.numStandbyReplicas,
      }),
    ],
    sessionTimeout: config.sessionTimeoutMs,
    rebalanceTimeout: Math.max(config.sessionTimeoutMs, 60_000),
    heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
    maxWaitTimeInMs: Math.min(500, config.commitIntervalMs),
    // kafkajs decodes a whole fetch response in one synchronous run, holding up the API's queries: a
    // commit's repartition records, fetched at once under a 16 MB limit, took up to 25 ms to decode, under
    // 2 MB at most ~3.5 ms. Smaller fetches cost throughput (a task waits for each fetch): 512 KB, a third.
    maxBytes: 2 * 1024 * 1024,
    maxBytesPerPartition: 1024 * 1024,
    allowAutoTopicCreation: false,
    // exactly_once: a transaction's records are read only once it commits.
    readUncommitted: false,
  });
}

// kafkajs throws from pause, resume and seek while it restarts the consumer (it lost Kafka); the group it
// rejoins with then starts from the committed offsets with nothing paused, so each is safely skipped.

/** Stops fetching partitions of closed fenced tasks until the group says who owns them. */
export function pausePartitions(
  consumer: Consumer | undefined,
  paused: readonly { topic: string; partitions: number[] }[],
): void {
  try {
    consumer?.pause([...paused]);
  } catch {}
}

/** Fetches the assigned partitions again, fenced ones included: the assignment makes new tasks for them. */
export function resumeAssigned(consumer: Consumer | undefined, assignment: Record<string, number[]>): void {
  try {
    consumer?.resume(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
  } catch {}
}

/** Moves kafkajs's fetch positions back to where the tasks go on from. */
export function seekTo(
  consumer: Consumer | undefined,
  positions: readonly { topic: string; partition: number; offset: string }[],
): void {
  try {
    for (const position of positions) consumer?.seek(position);
  } catch {}
}
