import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import { freePort } from '../src/local/ports.js';
import { type ProbeTopics, STORES, TOPICS } from '../src/probes/schemas.js';
import { compareSsids } from '../src/probes/stats.js';
import { ensureProbeTopics } from '../src/probes/topics.js';
import { REPARTITIONS } from '../src/probes/topology.js';
import { checkBuild } from './chaos/harness.js';
import { benchDevices, SeedRecords, type Truth, WATCHED_SSIDS } from './kafka-streams/input.js';
import { KafkaStreamsApp, prepareKafkaStreamsApp, type StatsLine } from './kafka-streams/java-app.js';
import { type ChildApp, processCpuMs, waitCaughtUp } from './kafka-streams/processes.js';
import { ProjectApp } from './kafka-streams/project-app.js';
import { PARTITIONS } from './pcap.js';
import { fillTables, waitForLeadership } from './probes.js';
import {
  type BenchSuite,
  benchKafka,
  endOffsets,
  log,
  makeStateDir,
  perSecond,
  producedOffsets,
  produceMessages,
  ratio,
  removeStateDir,
  report,
  type SuiteContext,
  sumOffsets,
  timeoutFor,
  uniqueName,
} from './support.js';

/**
 * The kafka-streams suite (issue 14, item 1): the probe topology on Apache Kafka Streams 4.1
 * (bench/kafka-streams/, one stream thread, RocksDB, the two small tables as GlobalKTables) and as
 * `probestream start`, one after the other on one broker, over the same seed-format input written once.
 * Each is timed from its process's spawn until its group has committed the input and its repartition
 * topics to their ends (at-least-once, commit interval 1 s), with its CPU time from /proc. Then the stats
 * of a sample of devices and names, and the alert counts, are compared between the two and with the truth.
 *
 * Needs the broker the harness starts (KAFKA_BROKERS unset): probestream start uses the default topic
 * names. Needs a current `dist/` (`npm run build`), Java 17+ and Maven (which fetches Kafka Streams the
 * first time). BENCH_CPU_PROF=<folder>: probestream runs under `node --cpu-prof` (profiles per thread).
 * BENCH_PEER_CLI=<another build's dist/cli/main.js>: that build runs too, on the same input, before this
 * one (`peer-events-per-sec`, with its ratio and CPU): a lever's before and after in one run.
 * PRODUCER_CLIENT=native (passed on to `probestream start` like every variable of the environment): the
 * application produces through the native producer instead of kafkajs's.
 */

const BENCH = 'kafka-streams';
/** Every SAMPLE_EVERY-th device and name is looked up in both applications. */
const SAMPLE_EVERY = 25;

interface Timing {
  readonly elapsedMs: number;
  readonly runningMs: number;
  readonly cpuMs: number;
}

/**
 * Times `app` (already spawned) until its group's lag is 0 on the input and on its repartition topics
 * (`repartitions`, by name), and logs it.
 */
async function timeUntilCaughtUp(
  app: ChildApp & { runningAt: Promise<number> },
  admin: Admin,
  applicationId: string,
  input: string,
  repartitions: readonly string[],
  records: number,
): Promise<Timing> {
  const topics = [input, ...repartitions.map((name) => `${applicationId}-${name}-repartition`)];
  const doneAt = await waitCaughtUp(app, admin, applicationId, topics, 2 * timeoutFor(records));
  const cpuMs = processCpuMs(app.pid);
  const runningAt = await Promise.race([app.runningAt, Promise.resolve(doneAt)]);
  const elapsedMs = doneAt - app.startedAt;
  log(`${app.name}: caught up in ${Math.round(elapsedMs)} ms, ${Math.round(cpuMs)} ms CPU`);
  return { elapsedMs, runningMs: runningAt - app.startedAt, cpuMs };
}

function describe(timing: Timing, records: number) {
  return {
    elapsedMs: Math.round(timing.elapsedMs),
    runningMs: Math.round(timing.runningMs),
    eventsPerSecAfterRunning: perSecond(records, timing.elapsedMs - timing.runningMs),
    cpuSeconds: Math.round(timing.cpuMs / 100) / 10,
  };
}

/** Records an application wrote to each of its internal topics (`<applicationId>-…`), by topic suffix. */
async function internalRecords(admin: Admin, applicationId: string): Promise<Record<string, number>> {
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${applicationId}-`));
  const written: Record<string, number> = {};
  for (const topic of topics.sort()) {
    written[topic.slice(applicationId.length + 1)] = sumOffsets(await endOffsets(admin, topic));
  }
  return written;
}

type Stats = StatsLine | null;

function canonical(truth: Truth | undefined): Stats {
  if (truth === undefined) return null;
  const { probeCount, firstProbe, lastProbe } = truth;
  return { probeCount, firstProbe, lastProbe, ssidsProbed: [...truth.ssids].sort(compareSsids) };
}

function same(a: Stats, b: Stats): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.probeCount === b.probeCount &&
    a.firstProbe === b.firstProbe &&
    a.lastProbe === b.lastProbe &&
    a.ssidsProbed.length === b.ssidsProbed.length &&
    a.ssidsProbed.every((ssid, i) => ssid === b.ssidsProbed[i])
  );
}

interface Sample {
  readonly store: 'pcap-stats' | 'pcap-stats-by-name';
  readonly key: string;
  readonly truth: Stats;
}

/** Looks the sample up in one application; answers the keys it got wrong against the truth. */
async function lookUp(
  app: { get(store: Sample['store'], key: string): Promise<Stats> },
  sample: readonly Sample[],
): Promise<Stats[]> {
  const answers: Stats[] = [];
  for (const { store, key } of sample) answers.push(await app.get(store, key));
  return answers;
}

async function writeInput(kafka: Kafka, admin: Admin, topics: ProbeTopics, records: number) {
  const input = new SeedRecords();
  log(`writing ${records} seed-format records (null keys) into ${topics.pcap}`);
  const elapsedMs = await produceMessages(kafka, topics.pcap, records, (count) => input.next(count));
  log(
    `written in ${Math.round(elapsedMs)} ms: ${input.probeRequests} probe requests, ${input.alerts} alerts due`,
  );
  await producedOffsets(admin, topics.pcap, records);
  const devices = benchDevices();
  await fillTables(kafka, topics, devices, WATCHED_SSIDS);
  const macs = [...input.byMac.keys()].sort().filter((_, i) => i % SAMPLE_EVERY === 0);
  const byName = input.byName(devices);
  const names = [...byName.keys()].sort().filter((_, i) => i % SAMPLE_EVERY === 0);
  const sample: Sample[] = [
    ...macs.map(
      (key) => ({ store: STORES.statsByMac, key, truth: canonical(input.byMac.get(key)) }) as const,
    ),
    ...names.map((key) => ({ store: STORES.statsByName, key, truth: canonical(byName.get(key)) }) as const),
  ];
  return { sample, alerts: input.alerts };
}

/** Runs the Kafka Streams application until caught up, looks the sample up, closes it. */
async function runKafkaStreams(
  context: SuiteContext,
  admin: Admin,
  logDir: string,
  topics: ProbeTopics,
  sample: readonly Sample[],
) {
  const classpath = await prepareKafkaStreamsApp();
  const applicationId = uniqueName('ks-probes');
  const stateDir = await makeStateDir();
  const app = new KafkaStreamsApp({
    classpath,
    brokers: context.brokers,
    applicationId,
    stateDir,
    topics: { ...topics, alerts: KS_ALERTS },
    logFile: join(logDir, 'kafka-streams.log'),
  });
  try {
    const timing = await timeUntilCaughtUp(
      app,
      admin,
      applicationId,
      topics.pcap,
      KS_REPARTITIONS,
      context.records,
    );
    const written = await internalRecords(admin, applicationId);
    return { timing, written, answers: await lookUp(app, sample) };
  } finally {
    await app.close();
    await removeStateDir(stateDir);
  }
}

/**
 * Runs `probestream start` (of this checkout, or of another build: `peer`) until caught up, looks the
 * sample up through its API, stops it.
 */
async function runProject(
  context: SuiteContext,
  admin: Admin,
  logDir: string,
  topics: ProbeTopics,
  sample: readonly Sample[],
  peer?: string,
) {
  const applicationId = uniqueName(peer ? 'peer' : 'probestream');
  const stateDir = await makeStateDir();
  // Every build writes the default `alerts` topic: each one's alerts are what it added.
  const alertsBefore = sumOffsets(await endOffsets(admin, topics.alerts));
  const app = new ProjectApp({
    brokers: context.brokers,
    applicationId,
    stateDir,
    port: await freePort(),
    partitions: PARTITIONS,
    logFile: join(logDir, peer ? 'peer.log' : 'probestream.log'),
    ...(peer ? { cli: peer, name: 'peer' } : { cpuProfileDir: process.env.BENCH_CPU_PROF || undefined }),
  });
  try {
    const timing = await timeUntilCaughtUp(
      app,
      admin,
      applicationId,
      topics.pcap,
      Object.values(REPARTITIONS),
      context.records,
    );
    const alerts = sumOffsets(await endOffsets(admin, topics.alerts)) - alertsBefore;
    const written = await internalRecords(admin, applicationId);
    return { timing, alerts, written, answers: await lookUp(app, sample) };
  } finally {
    await app.stop('SIGTERM', 60_000);
    await removeStateDir(stateDir);
  }
}

/** The Kafka Streams application's alerts go to a topic of their own. */
const KS_ALERTS = 'ks-alerts';
/**
 * The Kafka Streams application's repartition topics (ProbeTopology.java's names), upstream first. Asking
 * for a topic it does not have (its by-name topic is not probestream's) leaves the admin client's metadata
 * failing for every topic it is asked of afterwards.
 */
const KS_REPARTITIONS = [REPARTITIONS.byMac, REPARTITIONS.byName, REPARTITIONS.bySubtype] as const;
/** As probestream's `alerts`: stamped with the broker's time, so that old event times are not deleted. */
const APPEND_TIME = { name: 'message.timestamp.type', value: 'LogAppendTime' };

type AppRun = { timing: Timing; written: Record<string, number>; alerts?: number };

/** The timing figures: each application's rate and CPU, the ratio, and a peer build's when there is one. */
function reportTimings(
  records: number,
  ks: AppRun,
  project: AppRun,
  peer: (AppRun & { cli: string; answers: Stats[]; sample: readonly Sample[] }) | undefined,
): void {
  const ksRate = perSecond(records, ks.timing.elapsedMs);
  const projectRate = perSecond(records, project.timing.elapsedMs);
  report(BENCH, 'ks-events-per-sec', ksRate, 'events/s', {
    records,
    ...describe(ks.timing, records),
    written: ks.written,
  });
  report(BENCH, 'project-events-per-sec', projectRate, 'events/s', {
    records,
    ...describe(project.timing, records),
    written: { ...project.written, alerts: project.alerts },
  });
  report(BENCH, 'ratio', ratio(projectRate, ksRate), 'project/ks', {
    afterRunning: ratio(
      perSecond(records, project.timing.elapsedMs - project.timing.runningMs),
      perSecond(records, ks.timing.elapsedMs - ks.timing.runningMs),
    ),
  });
  const perThousand = (cpuMs: number) => Math.round((cpuMs / (records / 1000)) * 10) / 10;
  report(BENCH, 'ks-cpu-ms-per-1k', perThousand(ks.timing.cpuMs), 'ms');
  report(BENCH, 'project-cpu-ms-per-1k', perThousand(project.timing.cpuMs), 'ms');
  if (peer) {
    const peerRate = perSecond(records, peer.timing.elapsedMs);
    const peerWrong = peer.sample.filter((s, i) => !same(peer.answers[i] ?? null, s.truth)).length;
    report(BENCH, 'peer-events-per-sec', peerRate, 'events/s', {
      cli: peer.cli,
      ratio: ratio(peerRate, ksRate),
      cpuMsPer1k: perThousand(peer.timing.cpuMs),
      wrongKeys: peerWrong,
      alerts: peer.alerts,
      ...describe(peer.timing, records),
    });
  }
}

async function run(context: SuiteContext): Promise<void> {
  if (!context.restartBroker) {
    throw new Error('kafka-streams runs probestream on the default topic names: leave KAFKA_BROKERS unset');
  }
  await checkBuild();
  log('building the Kafka Streams application (Maven; the first build fetches its libraries)');
  const built = performance.now();
  await prepareKafkaStreamsApp();
  log(`Kafka Streams application ready in ${Math.round(performance.now() - built)} ms`);
  const { records } = context;
  const kafka = benchKafka(context.brokers, uniqueName('bench-ks-client'));
  const admin = kafka.admin();
  await admin.connect();
  const logDir = await makeStateDir();
  try {
    const topics: ProbeTopics = { ...TOPICS };
    await ensureProbeTopics(admin, { partitions: PARTITIONS, topics });
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic: KS_ALERTS, numPartitions: PARTITIONS, configEntries: [APPEND_TIME] }],
    });
    await waitForLeadership(admin, [
      topics.pcap,
      topics.devices,
      topics.ssidAlertList,
      topics.alerts,
      KS_ALERTS,
    ]);
    const { sample, alerts } = await writeInput(kafka, admin, topics, records);
    log(`logs of both applications: ${logDir}`);

    const ks = await runKafkaStreams(context, admin, logDir, topics, sample);
    // Another build of probestream on the same input (a lever's before), between the two.
    const peerCli = process.env.BENCH_PEER_CLI;
    const peer = peerCli ? await runProject(context, admin, logDir, topics, sample, peerCli) : undefined;
    const project = await runProject(context, admin, logDir, topics, sample);

    const ksAlerts = sumOffsets(await endOffsets(admin, KS_ALERTS));
    const projectAlerts = project.alerts;
    const differing = sample.filter((_, i) => !same(ks.answers[i] ?? null, project.answers[i] ?? null));
    const ksWrong = sample.filter((s, i) => !same(ks.answers[i] ?? null, s.truth)).length;
    const projectWrong = sample.filter((s, i) => !same(project.answers[i] ?? null, s.truth)).length;
    for (const s of differing.slice(0, 3)) {
      const i = sample.indexOf(s);
      log(
        `differs: ${s.store} ${s.key}: kafka-streams ${JSON.stringify(ks.answers[i])}, probestream ${JSON.stringify(project.answers[i])}`,
      );
    }

    reportTimings(records, ks, project, peer && peerCli ? { ...peer, cli: peerCli, sample } : undefined);
    const match = differing.length === 0 && ksAlerts === projectAlerts;
    report(BENCH, 'results-match', match ? 1 : 0, 'bool', {
      sampledKeys: sample.length,
      differingKeys: differing.length,
      ksAlerts,
      projectAlerts,
      expectedAlerts: alerts,
      ksWrongKeys: ksWrong,
      projectWrongKeys: projectWrong,
    });
    if (!match || ksWrong > 0 || projectWrong > 0 || ksAlerts !== alerts) {
      throw new Error('kafka-streams: the two applications disagree, or one of them with the input');
    }
  } finally {
    await admin.disconnect();
  }
}

export const kafkaStreamsSuite: BenchSuite = {
  name: BENCH,
  description:
    'the probe topology on Apache Kafka Streams 4.1 and as probestream start, timed on the same input',
  onlyWhenNamed: true,
  run,
};
