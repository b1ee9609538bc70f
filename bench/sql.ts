import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import {
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ProbeApplication } from '../src/app/probe-application.js';
import { freePort } from '../src/local/ports.js';
import { lineLogger } from '../src/logging/index.js';
import { type ProbeStats, type ProbeTopics, STORES } from '../src/probes/schemas.js';
import { pcapValueOf } from '../src/probes/serdes.js';
import { macFor, PARTITIONS } from './pcap.js';
import { profilePhase } from './phase-profile.js';
import {
  type BenchSuite,
  benchKafka,
  log,
  makeStateDir,
  percentile,
  pollUntil,
  produceMessages,
  removeStateDir,
  report,
  type SuiteContext,
  sleep,
  uniqueName,
} from './support.js';

/**
 * The sql suite: the ksqlDB endpoint of one instance of the probe application holding DEVICES devices.
 * - A pull query by key (`SELECT * FROM PCAP_STATS_01 WHERE ROWKEY = '<mac>'`), open loop at TARGET_RPS for
 *   MEASURE_MS: latency percentiles (issue: p99 ≤ 5 ms at 1,000 req/s). The load generator is a process
 *   of its own (this file, forked with BENCH_SQL_ROLE=load), sharing the machine's cores with the server.
 * - A filtered scan of every device (`WHERE ARRAY_CONTAINS(SSIDS_PROBED, 'Casa Vigo')`, every 100th device
 *   probed for it): time per query, rows checked exactly (issue: ≤ 1 s for 100,000 devices); and the same
 *   question as `GET /devices?ssid=Casa%20Vigo`.
 * BENCH_RECORDS does not apply: the device count, rate and durations are fixed. BENCH_CPU_PROF=<folder>: the
 * server's thread is profiled during each phase (see phase-profile.ts).
 */

const BENCH = 'sql';
const DEVICES = 100_000;
const MARKED_EVERY = 100;
const TARGET_RPS = 1_000;
const TARGET_P99_MS = 5;
const TARGET_SCAN_MS = 1_000;
const WARMUP_MS = 2_000;
const MEASURE_MS = 10_000;
const SCANS = 5;
/** Longer than any answer should take: a request this slow fails the suite. */
const REQUEST_TIMEOUT_MS = 60_000;
const ROLE_ENV = 'BENCH_SQL_ROLE';

function probes(): (count: number) => { key: string; value: string }[] {
  let made = 0;
  const startMs = Date.now() - 60_000;
  return (count) =>
    Array.from({ length: count }, () => {
      const i = made++;
      const mac = macFor(i);
      const ssid = i % MARKED_EVERY === 0 ? 'Casa Vigo' : `net-${i % 7}`;
      return {
        key: mac,
        value: JSON.stringify(pcapValueOf({ timestamp: startMs + i, mac, ssid, signalDbm: -60 })),
      };
    });
}

/** POSTs one statement; resolves with the status and body text. */
function post(agent: Agent, port: number, ksql: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/query',
        method: 'POST',
        headers: { 'content-type': 'application/vnd.ksql.v1+json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify({ ksql, streamsProperties: {} }));
  });
}

/** Pull queries by key at TARGET_RPS, each answer checked: the row of the MAC asked for. */
async function measureKeyLookups(port: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  const counts = { errors: 0, wrong: 0 };
  let firstProblem: string | undefined;
  const started = performance.now();
  const windowStart = started + WARMUP_MS;
  const end = windowStart + MEASURE_MS;
  const pending = new Set<Promise<void>>();
  for (let n = 0; ; n++) {
    const due = started + (n * 1000) / TARGET_RPS;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const mac = macFor(Math.floor(Math.random() * DEVICES));
    const sent = performance.now();
    const job = post(
      agent,
      port,
      `SELECT ROWKEY, PROBE_COUNT FROM PCAP_STATS_01 WHERE ROWKEY = '${mac}';`,
    ).then(
      ({ status, body }) => {
        const ok = status === 200 && body.includes(`{"row":{"columns":["${mac}",1]}}`);
        if (due < windowStart) return;
        if (!ok) {
          counts.wrong++;
          firstProblem ??= `${status} ${body.slice(0, 200)}`;
        } else latencies.push(performance.now() - sent);
      },
      (error: Error) => {
        counts.errors++;
        firstProblem ??= error.message;
      },
    );
    pending.add(job);
    void job.finally(() => pending.delete(job));
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const rps = Math.round(sorted.length / (MEASURE_MS / 1000));
  const extra = {
    rps,
    errors: counts.errors,
    wrong: counts.wrong,
    ...(firstProblem ? { firstProblem } : {}),
  };
  report(BENCH, 'pull-by-key p50', percentile(sorted, 0.5) ?? 0, 'ms', extra);
  report(BENCH, 'pull-by-key p99', percentile(sorted, 0.99) ?? 0, 'ms', { ...extra, target: TARGET_P99_MS });
  report(BENCH, 'pull-by-key max', percentile(sorted, 1) ?? 0, 'ms', extra);
  if (counts.errors + counts.wrong > 0)
    throw new Error(`pull by key: ${counts.errors + counts.wrong} failed; first: ${firstProblem}`);
}

/** The filtered scan, SCANS times; every answer must hold exactly the marked devices. */
async function measureScans(port: number): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const expected = DEVICES / MARKED_EVERY;
  const times: number[] = [];
  for (let i = 0; i < SCANS; i++) {
    const started = performance.now();
    const { status, body } = await post(
      agent,
      port,
      "SELECT ROWKEY, PROBE_COUNT FROM PCAP_STATS_01 WHERE ARRAY_CONTAINS(SSIDS_PROBED, 'Casa Vigo');",
    );
    times.push(performance.now() - started);
    const rows = status === 200 ? (JSON.parse(body) as unknown[]).length - 1 : -1;
    if (rows !== expected)
      throw new Error(`scan: ${status}, ${rows} rows rather than ${expected}: ${body.slice(0, 200)}`);
  }
  const listing: number[] = [];
  for (let i = 0; i < SCANS; i++) {
    const started = performance.now();
    const response = await fetch(
      `http://127.0.0.1:${port}/devices?ssid=${encodeURIComponent('Casa Vigo')}&limit=1000`,
    );
    const body = (await response.json()) as { devices: unknown[] };
    listing.push(performance.now() - started);
    if (body.devices.length !== expected)
      throw new Error(`GET /devices?ssid=: ${body.devices.length} devices rather than ${expected}`);
  }
  agent.destroy();
  const sorted = times.sort((a, b) => a - b);
  const extra = { devices: DEVICES, rows: expected, runs: SCANS };
  report(BENCH, 'filtered scan median', percentile(sorted, 0.5) ?? 0, 'ms', {
    ...extra,
    target: TARGET_SCAN_MS,
  });
  report(BENCH, 'filtered scan max', percentile(sorted, 1) ?? 0, 'ms', extra);
  report(BENCH, 'GET /devices?ssid= median', percentile(listing, 0.5) ?? 0, 'ms', extra);
}

async function run(context: SuiteContext): Promise<void> {
  const kafka = benchKafka(context.brokers);
  const applicationId = uniqueName('bench-sql');
  const topics: ProbeTopics = {
    pcap: uniqueName('bench-sql-pcap'),
    devices: uniqueName('bench-sql-devices'),
    ssidAlertList: uniqueName('bench-sql-ssid-alert-list'),
    alerts: uniqueName('bench-sql-alerts'),
  };
  const stateDir = await makeStateDir();
  const port = await freePort();
  const app = new ProbeApplication({
    kafka,
    partitions: PARTITIONS,
    topics,
    api: { port, host: '127.0.0.1', rateLimit: false },
    logger: lineLogger((line) => log(`app: ${line}`), 'info'),
    streams: {
      applicationId,
      bootstrapServers: [...context.brokers],
      applicationServer: `127.0.0.1:${port}`,
      stateDir,
    },
  });
  try {
    await app.start();
    log(`producing one probe request for each of ${DEVICES} MACs into ${topics.pcap}`);
    await produceMessages(kafka, topics.pcap, DEVICES, probes());
    const stats = app.streams.store<string, ProbeStats>(STORES.statsByMac);
    await pollUntil(
      `${STORES.statsByMac} holding ${DEVICES} devices`,
      () => stats.approximateNumEntries(),
      (entries) => entries >= DEVICES,
      { intervalMs: 500, timeoutMs: 300_000 },
    );
    log(`${DEVICES} devices held; pull queries by key at ${TARGET_RPS}/s for ${MEASURE_MS / 1000} s`);
    const server = serverPauses();
    await profilePhase(BENCH, 'key-lookups', () => inChild(port));
    server.report();
    log('filtered scans');
    await profilePhase(BENCH, 'scans', () => measureScans(port));
  } finally {
    await app.close();
    await removeStateDir(stateDir);
  }
}

/** PerformanceEntry `gc` kinds (perf_hooks.constants.NODE_PERFORMANCE_GC_*). */
const GC_KINDS: Readonly<Record<number, string>> = { 1: 'minor', 4: 'major', 8: 'incremental', 16: 'weak' };

/**
 * What stalls the server's thread while the key lookups run (the p99's tail): its event loop's delay and
 * its garbage collector's pauses, reported once they end; and the CPU each lookup cost the server, which
 * a loaded machine changes less than it changes latencies.
 */
function serverPauses(): { report(): void } {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const pauses: number[] = [];
  const byKind = new Map<string, number>();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.push(entry.duration);
      const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
      const kind = GC_KINDS[detail?.kind ?? 0] ?? 'other';
      byKind.set(kind, Math.max(byKind.get(kind) ?? 0, Math.round(entry.duration * 100) / 100));
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  delay.enable();
  const cpu = process.cpuUsage();
  return {
    report() {
      delay.disable();
      observer.disconnect();
      const { user, system } = process.cpuUsage(cpu);
      const requests = ((WARMUP_MS + MEASURE_MS) / 1000) * TARGET_RPS;
      // The whole process's: the API's thread, and the engine's, which has nothing to process meanwhile.
      report(BENCH, 'server CPU per lookup', Math.round((user + system) / requests), 'µs');
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      report(BENCH, 'server event-loop delay p99', ms(delay.percentile(99)), 'ms', {
        max: ms(delay.max),
      });
      const sorted = pauses.sort((a, b) => a - b);
      report(BENCH, 'server gc pause max', percentile(sorted, 1) ?? 0, 'ms', {
        pauses: sorted.length,
        over1ms: sorted.filter((p) => p > 1).length,
        totalMs: Math.round(sorted.reduce((sum, p) => sum + p, 0)),
        maxByKind: Object.fromEntries(byKind),
      });
    },
  };
}

/** Runs measureKeyLookups in a child process, which reports its own figures. */
function inChild(port: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [ROLE_ENV]: 'load', BENCH_SQL_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the load generator exited with ${code}`)),
    );
  });
}

if (process.env[ROLE_ENV] === 'load') {
  measureKeyLookups(Number(process.env.BENCH_SQL_PORT)).then(
    () => process.exit(0),
    (error: Error) => {
      log(`load generator: ${error.message}`);
      process.exit(1);
    },
  );
}

export const sqlSuite: BenchSuite = {
  name: BENCH,
  description: `ksqlDB endpoint: pull query by key at ${TARGET_RPS}/s (p99), filtered scan of ${DEVICES} devices`,
  run,
};
