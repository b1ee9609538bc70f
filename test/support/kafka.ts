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

/**
 * Runs `consumer` until a record matches `wanted`, and returns it; records that do not match are passed over
 * (a topic with a default name may hold other tests' records). Fails after `timeoutMs` saying how many it read.
 */
export async function firstMatchingRecord(
  consumer: Consumer,
  wanted: (record: ConsumedRecord) => boolean,
  timeoutMs = 20_000,
): Promise<ConsumedRecord> {
  let read = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`none of the ${read} records read within ${timeoutMs} ms matched`));
    }, timeoutMs);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          read++;
          const record = { topic, partition, message };
          if (!wanted(record)) return;
          clearTimeout(timer);
          resolve(record);
        },
      })
      .catch(reject);
  });
}
