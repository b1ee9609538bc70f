import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { seededRandom } from '../src/capture/synthetic.js';
import { freePort } from '../src/local/ports.js';
import { checkChangelog } from './chaos/changelog-check.js';
import { checkBuild, onInterrupt, selfExitReasons } from './chaos/harness.js';
import { closeHttp } from './chaos/http.js';
import { Instance, READY_TIMEOUT_MS, restartAfterSelfExit } from './chaos/instances.js';
import { ChaosProducer } from './chaos/producer.js';
import { QueryLoop, RECOVERY_TIMEOUT_MS, SETTLED_AFTER_MS } from './chaos/query-loop.js';
import { hostileMac, RecordMaker } from './chaos/records.js';
import { compareWhenSettled, deadLetters, topicTruth } from './chaos/verify.js';
import {
  type BenchSuite,
  endOffsets,
  log,
  percentile,
  pollUntil,
  removeStateDir,
  report,
  type SuiteContext,
  uncommittedPartitions,
  uniqueName,
} from './support.js';

/**
 * The chaos suite (issue 13, item 8; issue 20, item 4): three `probestream start` processes of one
 * application (exactly-once, one standby replica) on the local broker, fed seeded probe requests at a fixed
 * rate with 1 % hostile records, while an instance is killed -9 every ~30 s and started again on its state
 * folder and the broker is restarted twice (once cleanly, once by kill -9) on its data folder. Lookups run
 * throughout. At the end every device's stats from the API are compared with what the `pcap` topic holds.
 *
 * Environment: BENCH_CHAOS_SECONDS (or `--duration`; default 300), BENCH_CHAOS_RATE (records/s, default
 * 200). BENCH_RECORDS does not apply. Needs the broker the harness starts (KAFKA_BROKERS unset) and a
 * current `dist/` (`npm run build`): the instances run the built CLI.
 */

const BENCH = 'chaos';
const INSTANCES = 3;
const PARTITIONS = 6;
const DEVICES = 2_000;
const SEED = 0xc4a05;
const QUERY_RATE = 50;
const KILL_EVERY_MS = 30_000;
const KILL_JITTER_MS = 5_000;
/** A killed instance is started again this long after the kill. */
const RESTART_AFTER_MS = 3_000;
/** When in the run the broker is restarted: cleanly, then by kill -9. */
const BROKER_RESTARTS = [
  { at: 0.4, kill: false },
  { at: 0.75, kill: true },
] as const;
const SETTLE_TIMEOUT_MS = 300_000;
/** Issue 20: a killed instance's partitions are answered current by another instance within 15 s. */
const TARGET_RECOVERY_S = 15;

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/** Sleeps `ms`, or less when the run is stopped. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

async function waitAllReady(instances: readonly Instance[], signal: AbortSignal): Promise<void> {
  await pollUntil(
    'every instance ready (/readyz 200)',
    () => {
      signal.throwIfAborted();
      return instances.map((x) => x.state);
    },
    (states) => states.every((s) => s === 'ready'),
    { intervalMs: 250, timeoutMs: READY_TIMEOUT_MS },
  );
}

interface ChaosEvents {
  kills: number;
  brokerRestarts: { kill: boolean; seconds: number }[];
}

/** The chaos itself, for `durationMs`: kills and restarts of instances, two broker restarts. */
async function runChaos(
  context: SuiteContext,
  instances: readonly Instance[],
  queries: QueryLoop,
  durationMs: number,
  signal: AbortSignal,
): Promise<ChaosEvents> {
  const random = seededRandom(SEED ^ 0x5eed);
  const restartBroker = context.restartBroker as NonNullable<SuiteContext['restartBroker']>;
  const events: ChaosEvents = { kills: 0, brokerRestarts: [] };
  const started = performance.now();
  const end = started + durationMs;
  const jitter = () => KILL_EVERY_MS + (random() * 2 - 1) * KILL_JITTER_MS;
  let nextKill = started + jitter();
  const brokerAt = BROKER_RESTARTS.map((r) => ({ ...r, due: started + r.at * durationMs, done: false }));
  while (!signal.aborted && performance.now() < end) {
    const now = performance.now();
    const broker = brokerAt.find((r) => !r.done && now >= r.due);
    if (broker) {
      broker.done = true;
      log(`broker: restart (${broker.kill ? 'kill -9' : 'clean stop'}) on the same data folder and port`);
      const before = performance.now();
      await restartBroker({ kill: broker.kill });
      const seconds = Math.round((performance.now() - before) / 100) / 10;
      events.brokerRestarts.push({ kill: broker.kill, seconds });
      log(`broker: answering again after ${seconds} s`);
      continue;
    }
    if (now >= nextKill) {
      nextKill = now + jitter();
      const running = instances.filter((x) => x.running);
      const victim = running[Math.floor(random() * running.length)];
      if (victim) {
        events.kills += 1;
        log(`kill -9 instance ${victim.index}; it starts again in ${RESTART_AFTER_MS / 1000} s`);
        queries.watchRecovery(victim.index);
        await victim.kill();
        setTimeout(() => {
          if (!signal.aborted && !victim.running) victim.start();
        }, RESTART_AFTER_MS);
      }
    }
    await pause(Math.min(1_000, Math.max(0, end - performance.now())), signal);
  }
  return events;
}

function round(n: number, places = 3): number {
  return Math.round(n * 10 ** places) / 10 ** places;
}

async function run(context: SuiteContext): Promise<void> {
  if (!context.restartBroker) {
    throw new Error('chaos restarts the broker: run it on the local one (leave KAFKA_BROKERS unset)');
  }
  await checkBuild();
  const durationMs = context.durationMs ?? setting('BENCH_CHAOS_SECONDS', 300) * 1000;
  const rate = setting('BENCH_CHAOS_RATE', 200);
  const [brokers] = context.brokers as [string];
  const applicationId = uniqueName('bench-chaos');
  const runDir = await mkdtemp(join(tmpdir(), 'probestream-chaos-'));
  const abort = new AbortController();
  const offInterrupt = onInterrupt(abort);
  // Not even errors: the broker restarts would fill the log with kafkajs's connection errors.
  const kafka = new Kafka({
    clientId: uniqueName('bench-chaos-client'),
    brokers: [...context.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  let supervising = true;
  const instances: Instance[] = [];
  try {
    const pcap = 'pcap';
    if ((await admin.listTopics()).includes(pcap))
      throw new Error('topic pcap exists already: use a fresh broker');
    for (let i = 0; i < INSTANCES; i += 1) {
      const stateDir = join(runDir, `state-${i}`);
      await mkdir(stateDir);
      const instance = new Instance(i, {
        brokers,
        applicationId,
        partitions: PARTITIONS,
        port: await freePort(),
        stateDir,
        logFile: join(runDir, `instance-${i}.log`),
        onSelfExit: restartAfterSelfExit(() => supervising && !abort.signal.aborted),
      });
      instances.push(instance);
    }
    log(`${INSTANCES} instances of ${applicationId}; their logs: ${runDir}/instance-*.log`);
    // One first, so that a single process creates the topics.
    (instances[0] as Instance).start();
    await pollUntil(
      'instance 0 listening',
      () => instances[0]?.state,
      (s) => s !== 'starting',
      {
        intervalMs: 250,
        timeoutMs: READY_TIMEOUT_MS,
      },
    );
    for (const instance of instances.slice(1)) instance.start();
    await waitAllReady(instances, abort.signal);

    const maker = new RecordMaker(SEED, DEVICES);
    const producer = new ChaosProducer(kafka, { topic: pcap, partitions: PARTITIONS, maker, rate });
    const queries = new QueryLoop(instances, producer, QUERY_RATE);
    log(`chaos for ${durationMs / 1000} s: ${rate} records/s (1 % hostile), ${QUERY_RATE} lookups/s`);
    await producer.start();
    queries.start();
    let events: ChaosEvents;
    try {
      events = await runChaos(context, instances, queries, durationMs, abort.signal);
    } finally {
      await producer.stop();
      await queries.stop(abort.signal.aborted);
    }
    abort.signal.throwIfAborted();
    log(`chaos over: ${producer.made} records made, ${producer.failedRequests} failed requests`);
    for (const instance of instances) if (!instance.running) instance.start();
    await waitAllReady(instances, abort.signal);

    log('reading pcap back: what the stores must hold');
    const truth = await topicTruth(kafka, pcap, producer.sent);
    const hostileMacs = Array.from({ length: Math.ceil(producer.made / 100) }, (_, i) => hostileMac(i));
    const ends = await endOffsets(admin, pcap);
    const inputRead = async () => (await uncommittedPartitions(admin, applicationId, pcap, ends)) === 0;
    const comparison = await compareWhenSettled(instances, truth, hostileMacs, inputRead, SETTLE_TIMEOUT_MS);
    const dlq = await deadLetters(kafka, `${applicationId}-dlq`, pcap);
    const changelog = await checkChangelog(
      kafka,
      `${applicationId}-pcap-stats-changelog`,
      PARTITIONS,
      truth.devices,
      comparison.countMismatches,
    );
    supervising = false;

    const statuses = Object.fromEntries(queries.statuses);
    const answered = [...queries.statuses.values()].reduce((sum, n) => sum + n, 0);
    const errors = [...queries.statuses].filter(([s]) => s !== 200 && s !== 404 && s !== 503);
    const queryErrors = errors.reduce((sum, [, n]) => sum + n, 0) + queries.timeouts;
    const recovered = queries.recoveries.filter((r) => r.seconds !== null);
    const unrecovered = queries.recoveries.length - recovered.length;
    const maxRecovery =
      unrecovered > 0
        ? RECOVERY_TIMEOUT_MS / 1000
        : Math.max(0, ...recovered.map((r) => r.seconds as number));
    const restarts = instances.flatMap((x) => x.restartToReadyS);
    const selfExits = selfExitReasons(instances);
    const common = {
      durationS: durationMs / 1000,
      rate,
      devicePool: DEVICES,
      instances: INSTANCES,
      partitions: PARTITIONS,
    };

    report(BENCH, 'lost', comparison.lost, 'records', {
      target: 0,
      met: comparison.lost === 0,
      devicesMatching: comparison.matching,
      devices: comparison.devices,
      unanswered: comparison.unanswered,
      otherMismatches: comparison.otherMismatches,
      firstMismatch: comparison.firstMismatch,
      ...common,
    });
    report(BENCH, 'changelog-wrong', changelog.changelogWrong, 'devices', {
      target: 0,
      met: changelog.changelogWrong === 0 && changelog.apiOnlyWrong === 0,
      apiOnlyWrong: changelog.apiOnlyWrong,
      complete: changelog.complete,
      mismatches: changelog.mismatches.slice(0, 60),
    });
    report(BENCH, 'double-counted', comparison.doubleCounted, 'records', {
      target: 0,
      met: comparison.doubleCounted === 0,
      topicDuplicates: truth.duplicates,
    });
    report(BENCH, 'hostile', truth.hostile, 'records', {
      hostileMacsCounted: comparison.hostileCounted,
      madeRecords: producer.made,
      failedRequests: producer.failedRequests,
      acknowledgedMissing: truth.acknowledgedMissing,
      failedPresent: truth.failedPresent,
      topicReadComplete: truth.complete,
    });
    report(BENCH, 'dead-lettered', dlq.distinct, 'records', {
      target: truth.hostile,
      met: dlq.distinct === truth.hostile,
      dlqRecords: dlq.records,
      otherSources: dlq.otherSources,
      reasons: dlq.reasons,
    });
    report(BENCH, 'max-recovery-s', maxRecovery, 's', {
      target: TARGET_RECOVERY_S,
      met: queries.recoveries.length > 0 && unrecovered === 0 && maxRecovery <= TARGET_RECOVERY_S,
      atLeast: unrecovered > 0,
      kills: events.kills,
      recoveries: queries.recoveries,
    });
    report(BENCH, 'query-p99-ms-during-chaos', percentile(queries.latencies, 0.99) ?? 0, 'ms', {
      p50Ms: percentile(queries.latencies, 0.5),
      p99Of200Ms: percentile(queries.latencies200, 0.99),
      maxMs: percentile(queries.latencies, 1),
      answered,
      rate: QUERY_RATE,
    });
    report(BENCH, 'query-errors', queryErrors, 'requests', {
      target: 0,
      met: queryErrors === 0,
      statuses,
      timeouts: queries.timeouts,
      unreachable: queries.unreachable,
      skipped: queries.skipped,
      firstError: queries.firstError,
    });
    report(BENCH, 'query-200-share', answered > 0 ? round((statuses[200] ?? 0) / answered) : 0, 'ratio', {
      target: 0.99,
      settledAfterMs: SETTLED_AFTER_MS,
      staleAnswers: queries.staleAnswers,
      staleNotFound: queries.staleNotFound,
      statuses,
      unavailableReasons: Object.fromEntries(queries.unavailableReasons),
    });
    const notReady = restarts.filter((s) => s === null).length;
    report(
      BENCH,
      'max-restart-to-ready-s',
      notReady > 0 ? READY_TIMEOUT_MS / 1000 : Math.max(0, ...(restarts as number[])),
      's',
      {
        target: 10,
        restarts: restarts.length,
        notReady,
        selfExits: Object.values(selfExits).reduce((sum, n) => sum + n, 0),
        selfExitReasons: selfExits,
        brokerRestarts: events.brokerRestarts,
      },
    );

    const failed = [
      comparison.lost !== 0 && `lost ${comparison.lost}`,
      comparison.doubleCounted !== 0 && `double-counted ${comparison.doubleCounted}`,
      dlq.distinct !== truth.hostile && `dead-lettered ${dlq.distinct} of ${truth.hostile} hostile`,
    ].filter(Boolean);
    if (failed.length > 0) throw new Error(`chaos: correctness targets missed: ${failed.join(', ')}`);
  } finally {
    supervising = false;
    offInterrupt();
    await Promise.all(instances.map((x) => x.close()));
    closeHttp();
    await admin.disconnect();
    // The logs stay for a look after the run; the state folders go.
    for (let i = 0; i < instances.length; i += 1) await removeStateDir(join(runDir, `state-${i}`));
    log(`instance logs kept in ${runDir}`);
  }
}

export const chaosSuite: BenchSuite = {
  name: BENCH,
  description: '3 instances, kill -9 every ~30 s, 2 broker restarts, 1 % hostile records; checked per device',
  onlyWhenNamed: true,
  run,
};
