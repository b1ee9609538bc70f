import type { Kafka } from 'kafkajs';
import { retryWhileTransient, type WaitOptions } from '../topology/index.js';

/** Resolves once the brokers answer (or undefined when stopped first); see retryWhileTransient. */
export function waitForKafka(kafka: Kafka, options: WaitOptions): Promise<true | undefined> {
  return retryWhileTransient(
    'answer',
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return true as const;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    options,
  );
}
