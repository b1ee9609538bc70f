import type { Kafka, KafkaMessage } from 'kafkajs';
import { endOffsets, log, uniqueName } from '../support.js';

/** How long a read may take at most, and how long without a record ends it once nothing more comes. */
const READ_TIMEOUT_MS = 180_000;
const IDLE_MS = 8_000;

/**
 * Reads `topic` from the beginning, each record given to `onMessage`. Done when every partition has been
 * read to the end offset it had when the read began; read_committed never hands out the control records
 * at the end of a transactional log, so it also ends after IDLE_MS without a record. Answers the records
 * read, and whether the read reached every end (false: it ended idle or at READ_TIMEOUT_MS).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  options: { readonly readCommitted: boolean },
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<{ records: number; complete: boolean }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await endOffsets(admin, topic).finally(() => admin.disconnect());
  const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
  if (remaining.size === 0) return { records: 0, complete: true };
  const groupId = uniqueName('bench-chaos-reader');
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: !options.readCommitted,
    // A hostile record is 200 KB; a fetch must take a few of them at once.
    maxBytesPerPartition: 4 << 20,
    maxBytes: 16 << 20,
  });
  let records = 0;
  let lastRecordAt = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records += 1;
        lastRecordAt = Date.now();
        onMessage(partition, message);
        if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) remaining.delete(partition);
      },
    });
    const started = Date.now();
    while (remaining.size > 0) {
      const now = Date.now();
      if (now - started > READ_TIMEOUT_MS || (records > 0 && now - lastRecordAt > IDLE_MS)) break;
      if (records === 0 && now - started > IDLE_MS * 4) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await consumer.disconnect().catch((error) => log(`reader of ${topic}: ${error}`));
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteGroups([groupId]).catch(() => undefined);
    await cleanup.disconnect();
  }
  return { records, complete: remaining.size === 0 };
}
