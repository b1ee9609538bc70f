import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import { KafkaStreams, type ProcessingGuarantee } from '../src/topology/index.js';
import { COUNT_STORE, type CountOutcome, countTopology, runCount, runToEnd } from './count.js';
import { DistinctProbes, PARTITIONS, producePcapTopic, produceReported } from './pcap.js';
import {
  type BenchSuite,
  benchKafka,
  counterTotal,
  cpuMeter,
  endOffsets,
  forget,
  internalTopics,
  log,
  makeStateDir,
  mb,
  perSecond,
  pollUntil,
  producedOffsets,
  ratio,
  removeStateDir,
  report,
  rssMb,
  type SuiteContext,
  sleep,
  sumOffsets,
  timeoutFor,
  uniqueName,
} from './support.js';

/**
 * The state suite: what durable state costs. Issue: "`restore` (changelog records/s while restoring
 * 1,000,000 keys), `count-inmemory`, `count-leveldb-alos`, `count-leveldb-eos` (events/s of the count
 * pipeline), and `rss-1m-keys` (MB resident with 1,000,000 keys in state). Targets on this machine:
 * restore ≥ 100,000 records/s; LevelDB ≥ 80 % of in-memory; exactly-once ≥ 70 % of at-least-once;
 * RSS ≤ 300 MB."
 *
 * The restore part runs first: the run that fills its changelog also warms up the engine's code, so that
 * the first count run timed does not pay for compiling it and the others do not gain from that.
 */

const BENCH = 'state';
const TARGET_RESTORE_RATE = 100_000;
const TARGET_LEVELDB_RATIO = 0.8;
const TARGET_EOS_RATIO = 0.7;
const TARGET_RSS_MB = 300;
/** How long the restored instance idles before its RSS is read: LevelDB compactions and frees settle. */
const RSS_SETTLE_MS = 2_000;

/** `global.gc` when the process runs with --expose-gc (`npm run bench` does), else undefined. */
const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage, when allowed to, so that RSS counts what is held rather than what is not yet freed. */
function collectGarbage(): void {
  gc?.();
}

/** RSS once garbage is collected and the process has idled for RSS_SETTLE_MS. */
async function settledRssMb(): Promise<number> {
  collectGarbage();
  await sleep(RSS_SETTLE_MS);
  collectGarbage();
  return rssMb();
}

/** One LevelDB count instance of the restore run's application, with a state directory of its own. */
function restoreInstance(
  brokers: readonly string[],
  applicationId: string,
  topic: string,
  stateDir: string,
): KafkaStreams {
  return new KafkaStreams(countTopology(topic, true), {
    applicationId,
    bootstrapServers: brokers,
    stateDir,
    commitIntervalMs: 1000,
    processingGuarantee: 'at_least_once',
  });
}

/**
 * Fills a LevelDB count with `keys` distinct keys (so its changelog holds one record per key), closes it,
 * and answers the changelog's record count.
 */
async function fillChangelog(
  brokers: readonly string[],
  admin: Admin,
  applicationId: string,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
): Promise<number> {
  const stateDir = await makeStateDir();
  const streams = restoreInstance(brokers, applicationId, topic, stateDir);
  try {
    const times = await runToEnd(streams, admin, topic, ends, 'restore: filling the store');
    const keys = sumOffsets(ends);
    log(
      `filled ${keys} keys: consumed in ${Math.round(times.consumedMs)} ms ` +
        `(${perSecond(keys, times.consumedMs)} events/s), committed in ${Math.round(times.committedMs)} ms`,
    );
  } finally {
    await streams.close();
    // The restoring instance starts from nothing: this one's files go with it.
    await removeStateDir(stateDir);
  }
  return sumOffsets(await endOffsets(admin, `${applicationId}-${COUNT_STORE}-changelog`));
}

/**
 * restore: a new instance of the same application on an empty state directory, from `start()` until it is
 * RUNNING (its tasks restore their stores before that); the rate counts the records the restore read (the
 * restoredRecords metric). Then rss-1m-keys: the process's RSS with that instance holding every key.
 * Answers whether the store came back whole.
 */
async function restoreAndMeasure(
  brokers: readonly string[],
  applicationId: string,
  topic: string,
  keys: number,
  changelogRecords: number,
): Promise<boolean> {
  const stateDir = await makeStateDir();
  const baselineMb = await settledRssMb();
  const streams = restoreInstance(brokers, applicationId, topic, stateDir);
  let runningAt: number | undefined;
  streams.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  try {
    const started = performance.now();
    const cpu = cpuMeter();
    let firstRestoredAt: number | undefined;
    let peakMb = 0;
    await streams.start();
    await pollUntil(
      'restore: state RUNNING',
      async () => {
        peakMb = Math.max(peakMb, rssMb());
        if ((await counterTotal(streams, 'restoredRecords')) > 0) firstRestoredAt ??= performance.now();
        return streams.state;
      },
      (state) => state === 'RUNNING',
      { intervalMs: 20, timeoutMs: timeoutFor(changelogRecords) },
    );
    const elapsedMs = (runningAt ?? performance.now()) - started;
    const cpuUse = cpu();
    const runningMb = rssMb();
    const restored = await counterTotal(streams, 'restoredRecords');
    const entries = streams.store<string, number>(COUNT_STORE).approximateNumEntries();
    const complete = restored === changelogRecords && entries === keys;
    const rate = perSecond(restored, elapsedMs);
    report(BENCH, 'restore', rate, 'records/s', {
      keys,
      partitions: PARTITIONS,
      changelogRecords,
      restoredRecords: restored,
      approximateNumEntries: entries,
      complete,
      elapsedMs: Math.round(elapsedMs),
      firstRestoredMs: firstRestoredAt === undefined ? null : Math.round(firstRestoredAt - started),
      ...cpuUse,
      target: TARGET_RESTORE_RATE,
      met: rate >= TARGET_RESTORE_RATE,
    });

    const rss = await settledRssMb();
    const memory = process.memoryUsage();
    report(BENCH, 'rss-1m-keys', rss, 'MB', {
      keys,
      approximateNumEntries: streams.store<string, number>(COUNT_STORE).approximateNumEntries(),
      heapUsedMb: mb(memory.heapUsed),
      externalMb: mb(memory.external),
      arrayBuffersMb: mb(memory.arrayBuffers),
      // Before the restoring instance started: what the bench process itself holds.
      baselineMb,
      // While restoring (sampled every 20 ms), and at RUNNING before collecting: garbage not yet collected.
      restorePeakMb: Math.max(peakMb, runningMb),
      runningMb,
      gc: gc !== undefined,
      settleMs: RSS_SETTLE_MS,
      target: TARGET_RSS_MB,
      met: rss <= TARGET_RSS_MB,
    });
    return complete;
  } finally {
    await streams.close();
    await removeStateDir(stateDir);
  }
}

/** restore and rss-1m-keys over their own input: `keys` records, each key once. */
async function restoreRun(kafka: Kafka, admin: Admin, brokers: readonly string[], keys: number) {
  const topic = uniqueName('bench-keys');
  const applicationId = uniqueName('bench-restore');
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    log(`producing ${keys} records with distinct keys into ${topic} (${PARTITIONS} partitions)`);
    await produceReported(kafka, topic, keys, new DistinctProbes(), { bench: BENCH, metric: 'produce-keys' });
    const ends = await producedOffsets(admin, topic, keys);

    log('restore: filling a LevelDB count, at-least-once, to fill its changelog');
    const changelogRecords = await fillChangelog(brokers, admin, applicationId, topic, ends);
    log(`restore: ${changelogRecords} changelog records; restoring them into an empty state directory`);
    return await restoreAndMeasure(brokers, applicationId, topic, keys, changelogRecords);
  } finally {
    await forget(admin, {
      topics: [topic, ...internalTopics(applicationId, [COUNT_STORE])],
      groups: [applicationId],
    });
  }
}

/** The three count runs over one `pcap` input; answers whether every store held the right counts. */
async function countRuns(kafka: Kafka, admin: Admin, brokers: readonly string[], records: number) {
  const topic = uniqueName('bench-pcap');
  try {
    const { expected, ends } = await producePcapTopic(kafka, admin, topic, records, BENCH);
    const count = (metric: string, persistent: boolean, processingGuarantee: ProcessingGuarantee) => {
      log(
        `${metric}: filter + groupByKey + count, ${persistent ? 'LevelDB' : 'in memory'}, ${processingGuarantee}`,
      );
      return runCount({
        bench: BENCH,
        metric,
        correctMetric: `${metric}-correct`,
        brokers,
        admin,
        topic,
        ends,
        expected,
        persistent,
        processingGuarantee,
      });
    };
    const inMemory = await count('count-inmemory', false, 'at_least_once');
    const alos = await count('count-leveldb-alos', true, 'at_least_once');
    const eos = await count('count-leveldb-eos', true, 'exactly_once');
    reportRatio('leveldb-vs-inmemory', alos, inMemory, TARGET_LEVELDB_RATIO);
    reportRatio('eos-vs-alos', eos, alos, TARGET_EOS_RATIO);
    return inMemory.correct && alos.correct && eos.correct;
  } finally {
    await forget(admin, { topics: [topic], groups: [] });
  }
}

function reportRatio(metric: string, measured: CountOutcome, base: CountOutcome, target: number): void {
  const value = ratio(measured.rate, base.rate);
  report(BENCH, metric, value, 'ratio', { target, met: value >= target });
}

async function run({ brokers, records, keys }: SuiteContext): Promise<void> {
  const kafka = benchKafka(brokers, uniqueName('bench-state-client'));
  const admin = kafka.admin();
  await admin.connect();
  if (!gc) log('global.gc is not exposed (run node with --expose-gc): RSS is read without collecting first');
  try {
    const restored = await restoreRun(kafka, admin, brokers, keys);
    const counted = await countRuns(kafka, admin, brokers, records);
    if (!restored) throw new Error('restore: the restored store does not hold every key of the changelog');
    if (!counted) throw new Error('a count-*-correct is 0: a store does not hold every probe request');
  } finally {
    await admin.disconnect();
  }
}

export const stateSuite: BenchSuite = {
  name: BENCH,
  description:
    'restore rate and RSS with BENCH_KEYS keys; count in memory vs LevelDB, at-least-once vs exactly-once',
  run,
};
