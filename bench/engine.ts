import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import { runCount } from './count.js';
import { PARTITIONS, producePcapTopic } from './pcap.js';
import {
  type BenchSuite,
  benchKafka,
  forget,
  log,
  perSecond,
  ratio,
  report,
  rssMb,
  type SuiteContext,
  timeoutFor,
  uniqueName,
} from './support.js';

/**
 * The engine suite: produce `pcap` records, then read them back twice, once with a bare kafkajs consumer
 * (the ceiling) and once through a count topology. Issue: "count-inmemory ≥ 50 % of consume-raw and
 * ≥ 50,000 events/s on this 2-core machine".
 */

const BENCH = 'engine';
const TARGET_RATIO = 0.5;
const TARGET_COUNT_RATE = 50_000;

/** consume-raw: a kafkajs consumer that only counts, from connect until it has seen every record. */
async function consumeRaw(kafka: Kafka, admin: Admin, topic: string, records: number): Promise<number> {
  const groupId = uniqueName('bench-raw');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  const started = performance.now();
  let firstBatchAt: number | undefined;
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const doneAt = await new Promise<number>((resolve, reject) => {
      const timeoutMs = timeoutFor(records);
      const timer = setTimeout(
        () => reject(new Error(`consume-raw: read ${seen} of ${records} records within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer.on(consumer.events.CRASH, (event) => {
        clearTimeout(timer);
        reject(event.payload.error);
      });
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            firstBatchAt ??= performance.now();
            seen += batch.messages.length;
            if (seen >= records) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    const elapsedMs = doneAt - started;
    const rate = perSecond(records, elapsedMs);
    report(BENCH, 'consume-raw', rate, 'events/s', {
      records,
      partitions: PARTITIONS,
      elapsedMs: Math.round(elapsedMs),
      firstBatchMs: Math.round((firstBatchAt ?? doneAt) - started),
    });
    return rate;
  } finally {
    await consumer.disconnect();
    await forget(admin, { topics: [], groups: [groupId] });
  }
}

async function run({ brokers, records }: SuiteContext): Promise<void> {
  const kafka = benchKafka(brokers, uniqueName('bench-engine-client'));
  const admin = kafka.admin();
  await admin.connect();
  const topic = uniqueName('bench-pcap');
  try {
    const { expected, ends } = await producePcapTopic(kafka, admin, topic, records, BENCH);

    log('consume-raw: kafkajs, counting only');
    const rawRate = await consumeRaw(kafka, admin, topic, records);

    log('count-inmemory: filter + groupByKey + count, at-least-once');
    const count = await runCount({
      bench: BENCH,
      metric: 'count-inmemory',
      correctMetric: 'count-correct',
      brokers,
      admin,
      topic,
      ends,
      expected,
      persistent: false,
      processingGuarantee: 'at_least_once',
      target: TARGET_COUNT_RATE,
    });

    const vsRaw = ratio(count.rate, rawRate);
    report(BENCH, 'count-inmemory-vs-raw', vsRaw, 'ratio', {
      target: TARGET_RATIO,
      met: vsRaw >= TARGET_RATIO,
    });
    const memory = process.memoryUsage();
    report(BENCH, 'rss-mb', rssMb(), 'MB', { heapUsedMb: Math.round(memory.heapUsed / 2 ** 20) });
    if (!count.correct) throw new Error('count-correct is 0: the store does not hold every probe request');
  } finally {
    await forget(admin, { topics: [topic], groups: [] });
    await admin.disconnect();
  }
}

export const engineSuite: BenchSuite = {
  name: BENCH,
  description: 'produce pcap records, then consume-raw (kafkajs) vs count-inmemory (the engine)',
  run,
};
