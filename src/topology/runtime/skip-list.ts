import type { Admin, Producer } from 'kafkajs';
import type { PartitionReader } from '../kafka/partition-reader.js';
import type { RecordMetadata } from '../record.js';

/**
 * Records an operator told the application to pass over (`probestream skip`): one compacted topic per
 * application, `<application.id>-skips`, keyed `topic-partition@offset`. A task that reaches such a record
 * sends it to the DLQ unprocessed. Kept in Kafka, so every instance, now or later, skips the same records,
 * and nothing else is skipped: unlike moving the group's offsets, the records around it are processed.
 */
export function skipsTopic(applicationId: string): string {
  return `${applicationId}-skips`;
}

/** How a record is named in errors, and the key of its skip marker. */
export function recordName(record: RecordMetadata): string {
  return `${record.topic}-${record.partition}@${record.offset}`;
}

/** Parses `topic-partition@offset` (the topic may hold dashes); undefined when it is not one. */
export function parseRecordName(text: string): RecordMetadata | undefined {
  const match = /^(.+)-(\d+)@(\d+)$/.exec(text);
  if (!match) return undefined;
  return {
    topic: match[1] as string,
    partition: Number(match[2]),
    offset: BigInt(match[3] as string).toString(),
  };
}

/** The topic's config: compacted, one partition (a handful of markers). */
export function skipsTopicConfig(topic: string) {
  return {
    topic,
    numPartitions: 1,
    configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
  };
}

/** Every marker in the topic now (a tombstone takes one back). */
export async function readSkipList(reader: PartitionReader, topic: string): Promise<Set<string>> {
  const skips = new Set<string>();
  const end = await reader.endOffset(topic, 0);
  const start = await reader.startOffset(topic, 0);
  if (end <= start) return skips;
  await reader.read(topic, 0, start, end, (records) => {
    for (const { key, value } of records) {
      if (key === null) continue;
      if (value === null) skips.delete(key.toString());
      else skips.add(key.toString());
    }
  });
  return skips;
}

/** Writes a marker, creating the topic when it is missing. */
export async function writeSkip(
  admin: Admin,
  producer: Producer,
  applicationId: string,
  record: RecordMetadata,
  reason: string,
): Promise<void> {
  const topic = skipsTopic(applicationId);
  if (!(await admin.listTopics()).includes(topic)) {
    await admin
      .createTopics({ topics: [skipsTopicConfig(topic)], waitForLeaders: true })
      .catch(async (error) => {
        if (!(await admin.listTopics()).includes(topic)) throw error;
      });
  }
  await producer.send({
    topic,
    acks: -1,
    messages: [
      {
        key: recordName(record),
        value: JSON.stringify({ ...record, reason, at: new Date().toISOString() }),
      },
    ],
  });
}
