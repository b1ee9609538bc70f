import { randomUUID } from 'node:crypto';
import { type Consumer, type EachMessagePayload, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { inject } from 'vitest';

/** A name no other test uses: topics, group ids and application ids are never shared between tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A kafkajs client for the test run's broker. */
export function testKafka(clientId = uniqueName('test')): Kafka {
  return new Kafka({
    clientId,
    brokers: inject('kafkaBrokers').split(','),
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * Runs `consumer` until it has received `count` records, and returns them. Fails after `timeoutMs` with
 * what it did receive, so a missing record shows as a count, not a hang.
 */
export async function consumeRecords(
  consumer: Consumer,
  count: number,
  timeoutMs = 20_000,
  eachRecord?: (payload: EachMessagePayload) => Promise<void>,
): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`received ${records.length} of ${count} records within ${timeoutMs} ms`));
    }, timeoutMs);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async (payload) => {
          records.push({ topic: payload.topic, partition: payload.partition, message: payload.message });
          await eachRecord?.(payload);
          if (records.length === count) {
            clearTimeout(timer);
            resolve(records);
          }
        },
      })
      .catch(reject);
  });
}
