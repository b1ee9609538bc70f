import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Admin, Message } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { ProbeApplication } from '../src/app/probe-application.js';
import { freePort } from '../src/local/ports.js';
import { lineLogger } from '../src/logging/index.js';
import { type ProbeStats, type ProbeTopics, STORES } from '../src/probes/schemas.js';
import { pcapValueOf } from '../src/probes/serdes.js';
import type { StreamsConfigInput, WorkerStreams } from '../src/topology/index.js';
import { macFor, PARTITIONS } from './pcap.js';
import {
  type BenchSuite,
  benchKafka,
  cpuMeter,
  forget,
  log,
  makeStateDir,
  pollUntil,
  produceMessages,
  removeStateDir,
  report,
  type SuiteContext,
  sleep,
  uniqueName,
} from './support.js';

/**
 * The api suite: pull queries (`GET /devices/<mac>/stats`) over HTTP on loopback against one instance of
 * the probe application holding DEVICES devices, idle and while a producer keeps the topology busy. Issue:
 * "p99 ≤ 5 ms at 2,000 req/s while ingesting, on this machine". The load generator and the ingesting
 * producer each run in a process of their own (this file, forked with BENCH_API_ROLE set), so that neither
 * shares the server's event loop; they do share the machine's cores with it and with the broker. The
 * application runs its topology in a worker thread: the event-loop, GC and CPU figures are the API thread's
 * (the process's CPU includes the worker).
 * BENCH_RECORDS does not apply: the device count, rates and durations are fixed.
 */

const BENCH = 'api';
const DEVICES = 10_000;
const PROBES_PER_DEVICE = 3;
const TARGET_RPS = 2_000;
const TARGET_P99_MS = 5;
const CLOSED_CONNECTIONS = 32;
const WARMUP_MS = 2_000;
const MEASURE_MS = 10_000;
const INGEST_RATE = 5_000;
/** Longer than any answer should take: a request this slow counts as an error. */
const REQUEST_TIMEOUT_MS = 2_000;
const SSIDS = ['', 'eduroam', 'HomeNet-5G', 'FRITZ!Box 7590', 'Free WiFi', 'linksys'];
const ROLE_ENV = 'BENCH_API_ROLE';
/** How often the server's event loop is looked at, and how late it must be to count as held up, in ms. */
const LOOP_TICK_MS = 5;
const LOOP_STALL_MS = 10;

type Phase = 'idle' | 'ingesting';

/** What the load generator is asked to do: a fixed request rate (open loop) or as fast as it can (closed). */
type LoadCommand = {
  readonly port: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Every answer must count at least this many probe requests, and exactly as many when `exact`. */
  readonly probeCount: number;
  readonly exact: boolean;
} & (
  | { readonly kind: 'open'; readonly rate: number }
  | { readonly kind: 'closed'; readonly connections: number }
);

interface Latencies {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** What the load generator saw in its measured window (the warm-up is checked, not measured). */
interface LoadResult {
  readonly requests: number;
  readonly elapsedMs: number;
  readonly errors: number;
  readonly non200: number;
  /** 200, but not the device asked for, or not its count. */
  readonly wrong: number;
  readonly warmupFailures: number;
  readonly firstProblem: string | undefined;
  /** From the request's start (after the generator issued it) to the end of its answer. */
  readonly latency: Latencies;
  /** Open loop: from when the request was due, so that the generator's own lateness counts too. */
  readonly fromSchedule: Latencies | undefined;
  /** The load generator's CPU use, in cores. */
  readonly cpu: number;
}

type ChildMessage = { readonly type: 'window' } | { readonly type: 'result'; readonly result: unknown };

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function latencies(samples: Float64Array, count: number): Latencies {
  const sorted = samples.subarray(0, count).sort();
  const at = (q: number) => round3(sorted[Math.max(0, Math.min(count - 1, Math.ceil(q * count) - 1))] ?? 0);
  return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: at(1) };
}

/** Growable latency samples, in ms. */
class Samples {
  values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }
}

// ---- The load generator (a child process) ----

/** Runs one command: requests for random known MACs, each checked, each timed. */
async function generateLoad(command: LoadCommand): Promise<LoadResult> {
  const macs = Array.from({ length: DEVICES }, (_, i) => macFor(i));
  const connections = command.kind === 'closed' ? command.connections : 64;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latency = new Samples();
  const fromSchedule = new Samples();
  const counts = { requests: 0, errors: 0, non200: 0, wrong: 0, warmupFailures: 0 };
  let firstProblem: string | undefined;
  const started = performance.now();
  const windowStart = started + command.warmupMs;
  const windowEnd = windowStart + command.durationMs;
  let cpuAtWindow = process.cpuUsage();
  let windowSent = false;
  const enterWindow = () => {
    if (windowSent) return;
    windowSent = true;
    cpuAtWindow = process.cpuUsage();
    process.send?.({ type: 'window' } satisfies ChildMessage);
  };

  const get = (due: number, done: () => void) => {
    const mac = macs[Math.floor(Math.random() * macs.length)] as string;
    const sent = performance.now();
    const measured = due >= windowStart && due < windowEnd;
    // A request settles once, though its response and its socket may both report a failure.
    let settled = false;
    const fail = (kind: 'errors' | 'non200' | 'wrong', why: string) => {
      if (settled) return;
      settled = true;
      firstProblem ??= `${kind}: ${why}`;
      if (measured) counts[kind] += 1;
      else counts.warmupFailures += 1;
      done();
    };
    const req = request(
      { agent, host: '127.0.0.1', port: command.port, path: `/devices/${mac}/stats` },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail('errors', `${mac}: ${error.message}`));
        res.on('end', () => {
          const now = performance.now();
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            return fail('non200', `${mac}: ${res.statusCode} ${body.slice(0, 200)}`);
          let answer: { mac?: unknown; probeCount?: unknown };
          try {
            answer = JSON.parse(body);
          } catch {
            return fail('wrong', `${mac}: not JSON: ${body.slice(0, 200)}`);
          }
          const count = answer.probeCount;
          const countOk =
            typeof count === 'number' &&
            (command.exact ? count === command.probeCount : count >= command.probeCount);
          if (answer.mac !== mac || !countOk) return fail('wrong', `${mac}: ${body.slice(0, 200)}`);
          if (settled) return;
          settled = true;
          if (measured) {
            counts.requests += 1;
            latency.add(now - sent);
            fromSchedule.add(now - due);
          }
          done();
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => fail('errors', `${mac}: ${error.message}`));
    req.end();
  };

  if (command.kind === 'open') {
    // Each request is due at a fixed time, whether or not earlier ones have been answered.
    const interval = 1000 / command.rate;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      let due = started;
      let issuing = true;
      const done = () => {
        inFlight -= 1;
        if (!issuing && inFlight === 0) resolve();
      };
      const tick = () => {
        const now = performance.now();
        if (now >= windowStart) enterWindow();
        for (; due <= now && due < windowEnd; due += interval) {
          inFlight += 1;
          get(due, done);
        }
        if (due < windowEnd) {
          setTimeout(tick, Math.max(0, due - performance.now()));
          return;
        }
        issuing = false;
        if (inFlight === 0) resolve();
      };
      tick();
    });
  } else {
    const worker = async () => {
      for (;;) {
        const now = performance.now();
        if (now >= windowEnd) return;
        if (now >= windowStart) enterWindow();
        await new Promise<void>((resolve) => get(now, resolve));
      }
    };
    await Promise.all(Array.from({ length: command.connections }, worker));
  }
  const { user, system } = process.cpuUsage(cpuAtWindow);
  agent.destroy();
  return {
    ...counts,
    elapsedMs: command.durationMs,
    firstProblem,
    latency: latencies(latency.values, latency.count),
    fromSchedule: command.kind === 'open' ? latencies(fromSchedule.values, fromSchedule.count) : undefined,
    cpu: Math.round(((user + system) / 1000 / command.durationMs) * 100) / 100,
  };
}

// ---- The ingesting producer (a child process) ----

interface IngestCommand {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly rate: number;
}

interface IngestResult {
  readonly acknowledged: number;
  readonly elapsedMs: number;
  readonly failedSends: number;
  /** The producer's CPU use, in cores. */
  readonly cpu: number;
}

function probeMessages(count: number, macs: readonly string[]): Message[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const mac = macs[Math.floor(Math.random() * macs.length)] as string;
    const ssid = SSIDS[i % SSIDS.length] as string;
    const probe = { timestamp: now, mac, ssid, signalDbm: -40 - (i % 50) };
    return { key: mac, value: JSON.stringify(pcapValueOf(probe)) };
  });
}

/** Produces probe requests for known MACs at `rate` a second, a batch every 100 ms, until told to stop. */
async function ingest(command: IngestCommand): Promise<void> {
  const macs = Array.from({ length: DEVICES }, (_, i) => macFor(i));
  const producer = benchKafka(command.brokers, uniqueName('bench-api-ingest')).producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let scheduled = 0;
  let acknowledged = 0;
  let failedSends = 0;
  let inFlight = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * command.rate) - scheduled;
    if (due <= 0 || inFlight >= 4) return;
    scheduled += due;
    inFlight += 1;
    producer
      .send({ topic: command.topic, acks: -1, messages: probeMessages(due, macs) })
      .then(
        () => {
          acknowledged += due;
        },
        () => {
          failedSends += 1;
        },
      )
      .finally(() => {
        inFlight -= 1;
      });
  }, 100);
  process.send?.({ type: 'window' } satisfies ChildMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  clearInterval(timer);
  const elapsedMs = performance.now() - started;
  while (inFlight > 0) await sleep(10);
  await producer.disconnect();
  const { user, system } = process.cpuUsage(cpuAtStart);
  const cpu = Math.round(((user + system) / 1000 / elapsedMs) * 100) / 100;
  const result: IngestResult = { acknowledged, elapsedMs, failedSends, cpu };
  process.send?.({ type: 'result', result } satisfies ChildMessage);
}

async function childMain(role: string): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  if (role === 'ingest') {
    const command = await new Promise<IngestCommand>((resolve) => process.once('message', resolve));
    await ingest(command);
    return;
  }
  process.on('message', (command: LoadCommand) => {
    generateLoad(command).then(
      (result) => process.send?.({ type: 'result', result } satisfies ChildMessage),
      (error: Error) => {
        process.stderr.write(`load generator failed: ${error.stack ?? error}\n`);
        process.exit(1);
      },
    );
  });
}

// ---- The suite (the server's process) ----

/** This file again, in a process of its own, in `role`; its stdout goes to stderr, as progress. */
function forkChild(role: 'load' | 'ingest'): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [ROLE_ENV]: role },
    stdio: ['ignore', 2, 2, 'ipc'],
  });
}

/** Sends `command` to a child; calls `onWindow` when its measured window opens; answers its result. */
function ask<T>(child: ChildProcess, command: unknown, onWindow: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'window') return onWindow();
      cleanup();
      resolve(message.result as T);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the ${child.spawnargs.join(' ')} child exited (${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(command as object);
  });
}

/** The samples of one of the engine's metrics (read from its worker thread). */
async function metricValues(streams: WorkerStreams, name: string) {
  const metrics = await streams.metrics.registry.getMetricsAsJSON();
  return metrics.find((metric) => metric.name === name)?.values ?? [];
}

/** Records the engine fetched from `topic`; fails fast when the engine failed. */
async function consumedFrom(streams: WorkerStreams, topic: string): Promise<number> {
  if (streams.state === 'ERROR') throw streams.error ?? new Error('the engine failed');
  const values = await metricValues(streams, 'probestream_records_consumed_total');
  return values.reduce((sum, sample) => sum + (sample.labels.topic === topic ? sample.value : 0), 0);
}

/**
 * Counts the times the event loop was held up for LOOP_STALL_MS or more, and for how long in all. A
 * percentile of event-loop delay hides them: a 100 ms stall is one late timer, but 200 requests at 2,000/s.
 */
function stallMeter(): () => Record<string, number> {
  let stalls = 0;
  let stalledMs = 0;
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - LOOP_TICK_MS;
    last = now;
    if (late < LOOP_STALL_MS) return;
    stalls += 1;
    stalledMs += late;
    longest = Math.max(longest, late);
  }, LOOP_TICK_MS);
  return () => {
    clearInterval(timer);
    return {
      eventLoopStalls: stalls,
      eventLoopStalledMs: Math.round(stalledMs),
      eventLoopLongestStallMs: round3(longest),
    };
  };
}

/**
 * What held up the server's main thread besides its own work, over a window: time spent runnable but
 * waiting for a CPU (other processes on the machine: the broker, the load generator, anything else
 * running; Linux only, else omitted), and the garbage collector's pauses, in ms.
 */
function interruptionMeter(): () => Record<string, number> {
  const schedstat = `/proc/${process.pid}/task/${process.pid}/schedstat`;
  const waitedNs = (): number | undefined => {
    try {
      return Number(readFileSync(schedstat, 'utf8').split(' ')[1]);
    } catch {
      return undefined;
    }
  };
  const waitedBefore = waitedNs();
  const pauses: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  return () => {
    gc.disconnect();
    const waitedAfter = waitedNs();
    return {
      ...(waitedBefore !== undefined && waitedAfter !== undefined
        ? { cpuRunQueueWaitMs: Math.round((waitedAfter - waitedBefore) / 1e6) }
        : {}),
      gcPauses: pauses.length,
      gcPausedMs: Math.round(pauses.reduce((sum, ms) => sum + ms, 0)),
      gcPausesOver4Ms: pauses.filter((ms) => ms > 4).length,
      gcLongestPauseMs: round3(Math.max(0, ...pauses)),
    };
  };
}

/** The engine's commits so far: how many, and their total time in ms (from flush to offsets committed). */
async function commitTotals(streams: WorkerStreams): Promise<{ count: number; ms: number }> {
  const values = await metricValues(streams, 'probestream_commit_latency_seconds');
  const total = (suffix: string) =>
    values.find(
      (v) => (v as { metricName?: string }).metricName === `probestream_commit_latency_seconds_${suffix}`,
    )?.value ?? 0;
  return { count: total('count'), ms: total('sum') * 1000 };
}

/** What the server's process did during a measured window. */
async function serverMeter(streams: WorkerStreams, pcap: string): Promise<() => Promise<object>> {
  const cpu = cpuMeter();
  const commitsBefore = await commitTotals(streams);
  const loop = stallMeter();
  const interruptions = interruptionMeter();
  const utilization = performance.eventLoopUtilization();
  const consumedBefore = await consumedFrom(streams, pcap);
  const started = performance.now();
  return async () => {
    const stalls = loop();
    const interrupted = interruptions();
    const elapsedS = (performance.now() - started) / 1000;
    const commits = await commitTotals(streams);
    const count = commits.count - commitsBefore.count;
    return {
      ...cpu(),
      eventLoopUtilization: round3(performance.eventLoopUtilization(utilization).utilization),
      ...stalls,
      ...interrupted,
      consumedPerSec: Math.round(((await consumedFrom(streams, pcap)) - consumedBefore) / elapsedS),
      commits: count,
      commitMeanMs: count > 0 ? round3((commits.ms - commitsBefore.ms) / count) : null,
    };
  };
}

/** Runs one load command with the server's meters running over its measured window. */
async function measure(
  load: ChildProcess,
  app: ProbeApplication,
  command: LoadCommand,
): Promise<{ result: LoadResult; server: object }> {
  let meter: Promise<() => Promise<object>> | undefined;
  const result = await ask<LoadResult>(load, command, () => {
    meter ??= serverMeter(app.streams, app.topics.pcap);
  });
  const server = meter ? await (await meter)() : {};
  return { result, server };
}

function checked(result: LoadResult): { errors: number; non200: number; wrong: number } {
  return { errors: result.errors, non200: result.non200, wrong: result.wrong };
}

function failures(result: LoadResult): number {
  return result.errors + result.non200 + result.wrong + result.warmupFailures;
}

/** pull-p50-ms, pull-p99-ms (open loop at TARGET_RPS) and pull-rps (closed loop) in one phase. */
async function measurePhase(
  phase: Phase,
  load: ChildProcess,
  app: ProbeApplication,
  port: number,
): Promise<string[]> {
  const problems: string[] = [];
  const common = {
    phase,
    cores: availableParallelism(),
    loadGenerator: 'forked process, node:http keep-alive',
    ...(phase === 'ingesting' ? { ingestTargetPerSec: INGEST_RATE } : {}),
  };
  const check = { port, probeCount: PROBES_PER_DEVICE, exact: phase === 'idle' };

  log(`${phase}: ${TARGET_RPS} req/s for ${MEASURE_MS} ms after ${WARMUP_MS} ms of warm-up`);
  const open = await measure(load, app, {
    ...check,
    kind: 'open',
    rate: TARGET_RPS,
    warmupMs: WARMUP_MS,
    durationMs: MEASURE_MS,
  });
  const r = open.result;
  const achievedRps = Math.round(r.requests / (r.elapsedMs / 1000));
  const openExtra = { ...common, targetRps: TARGET_RPS, achievedRps, requests: r.requests, ...checked(r) };
  report(BENCH, 'pull-p50-ms', r.latency.p50Ms, 'ms', openExtra);
  report(BENCH, 'pull-p99-ms', r.latency.p99Ms, 'ms', {
    ...openExtra,
    ...(phase === 'ingesting' ? { target: TARGET_P99_MS, met: r.latency.p99Ms <= TARGET_P99_MS } : {}),
    p90Ms: r.latency.p90Ms,
    p999Ms: r.latency.p999Ms,
    maxMs: r.latency.maxMs,
    p99FromScheduleMs: r.fromSchedule?.p99Ms,
    loadCpu: r.cpu,
    ...open.server,
  });
  if (failures(r) > 0) problems.push(`${phase} open loop: ${failures(r)} failed; first: ${r.firstProblem}`);

  log(`${phase}: ${CLOSED_CONNECTIONS} connections, as fast as answered, for ${MEASURE_MS} ms`);
  const closed = await measure(load, app, {
    ...check,
    kind: 'closed',
    connections: CLOSED_CONNECTIONS,
    warmupMs: WARMUP_MS / 2,
    durationMs: MEASURE_MS,
  });
  const c = closed.result;
  report(BENCH, 'pull-rps', Math.round(c.requests / (c.elapsedMs / 1000)), 'req/s', {
    ...common,
    connections: CLOSED_CONNECTIONS,
    requests: c.requests,
    ...checked(c),
    p50Ms: c.latency.p50Ms,
    p99Ms: c.latency.p99Ms,
    loadCpu: c.cpu,
    ...closed.server,
  });
  if (failures(c) > 0) problems.push(`${phase} closed loop: ${failures(c)} failed; first: ${c.firstProblem}`);
  return problems;
}

/** PROBES_PER_DEVICE probe requests for each of DEVICES MACs, recent (the topics' retention applies). */
function initialProbes(): (count: number) => Message[] {
  let made = 0;
  const startMs = Date.now() - 60_000;
  return (count) =>
    Array.from({ length: count }, () => {
      const i = made++;
      const mac = macFor(i % DEVICES);
      const ssid = SSIDS[Math.floor(i / DEVICES) % SSIDS.length] as string;
      const probe = { timestamp: startMs + Math.floor(i / 10), mac, ssid, signalDbm: -60 };
      return { key: mac, value: JSON.stringify(pcapValueOf(probe)) };
    });
}

/** Waits until the API answers and the stats store holds every device with every probe request counted. */
async function waitForDevices(app: ProbeApplication, port: number): Promise<void> {
  await pollUntil(
    'GET /devices?limit=1',
    () =>
      fetch(`http://127.0.0.1:${port}/devices?limit=1`).then(
        (res) => res.status,
        () => 0,
      ),
    (status) => status === 200,
    { intervalMs: 200, timeoutMs: 60_000 },
  );
  const stats = app.streams.store<string, ProbeStats>(STORES.statsByMac);
  await pollUntil(
    `${STORES.statsByMac} holding ${DEVICES} devices`,
    async () => {
      if (app.streams.state === 'ERROR') throw app.streams.error ?? new Error('the engine failed');
      return stats.approximateNumEntries();
    },
    (entries) => entries >= DEVICES,
    { intervalMs: 200, timeoutMs: 120_000 },
  );
  // Every device appears with its first probe request: the rest may still be on their way through the
  // topology (repartitioned, then counted), so wait for the count too rather than fail on a slow machine.
  const totals = async () => {
    let devices = 0;
    let probes = 0;
    for await (const { value } of stats.all()) {
      devices += 1;
      probes += value.probeCount;
    }
    return { devices, probes };
  };
  const expected = DEVICES * PROBES_PER_DEVICE;
  await pollUntil(
    `${STORES.statsByMac} counting ${expected} probe requests`,
    totals,
    (t) => t.probes >= expected,
    {
      intervalMs: 200,
      timeoutMs: 60_000,
    },
  );
  const { devices, probes } = await totals();
  if (devices !== DEVICES || probes !== expected) {
    throw new Error(
      `${STORES.statsByMac} holds ${devices} devices and ${probes} probe requests, ` +
        `not ${DEVICES} and ${expected}`,
    );
  }
}

/** The topics and consumer groups an application made: its own, its internal ones, its push consumers. */
async function forgetApplication(admin: Admin, applicationId: string, topics: ProbeTopics): Promise<void> {
  const internal = (await admin.listTopics()).filter((topic) => topic.startsWith(`${applicationId}-`));
  const own = Object.values(topics);
  const { groups } = await admin.listGroups();
  const made = groups.map((g) => g.groupId).filter((id) => id.startsWith(applicationId));
  await forget(admin, { topics: [...own, ...internal], groups: made });
}

async function run({ brokers }: SuiteContext): Promise<void> {
  log(`${DEVICES} devices, fixed: BENCH_RECORDS does not apply`);
  const kafka = benchKafka(brokers, uniqueName('bench-api-client'));
  const admin = kafka.admin();
  await admin.connect();
  const applicationId = uniqueName('bench-api');
  const topics: ProbeTopics = {
    pcap: uniqueName('bench-api-pcap'),
    devices: uniqueName('bench-api-devices'),
    ssidAlertList: uniqueName('bench-api-ssid-alert-list'),
    alerts: uniqueName('bench-api-alerts'),
  };
  const stateDir = await makeStateDir();
  const port = await freePort();
  const application = () =>
    new ProbeApplication({
      kafka,
      partitions: PARTITIONS,
      topics,
      api: { port, host: '127.0.0.1', rateLimit: false },
      logger: lineLogger((line) => log(`app: ${line}`), 'info'),
      streams: {
        applicationId,
        bootstrapServers: brokers,
        applicationServer: `127.0.0.1:${port}`,
        stateDir,
        // As `probestream start` takes it: the engine's producer client (kafkajs by default).
        ...(process.env.PRODUCER_CLIENT
          ? { producerClient: process.env.PRODUCER_CLIENT as StreamsConfigInput['producerClient'] }
          : {}),
      },
    });
  let app: ProbeApplication | undefined;
  const children: ChildProcess[] = [];
  try {
    app = application();
    await app.start();
    log(`producing ${PROBES_PER_DEVICE} probe requests for each of ${DEVICES} MACs into ${topics.pcap}`);
    await produceMessages(kafka, topics.pcap, DEVICES * PROBES_PER_DEVICE, initialProbes());
    await waitForDevices(app, port);
    log(`${STORES.statsByMac} holds ${DEVICES} devices`);

    const load = forkChild('load');
    children.push(load);
    const problems = await measurePhase('idle', load, app, port);

    const ingester = forkChild('ingest');
    children.push(ingester);
    const ingestCommand: IngestCommand = { brokers, topic: topics.pcap, rate: INGEST_RATE };
    let ingesting: () => void = () => undefined;
    const ingested = ask<IngestResult>(ingester, ingestCommand, () => ingesting());
    await new Promise<void>((resolve) => {
      ingesting = resolve;
    });
    log(`ingesting: ${INGEST_RATE} probe requests/s into ${topics.pcap}`);
    await sleep(WARMUP_MS);
    problems.push(...(await measurePhase('ingesting', load, app, port)));
    ingester.send({ stop: true });
    const { acknowledged, elapsedMs, failedSends, cpu } = await ingested;
    log(
      `ingested ${acknowledged} probe requests in ${Math.round(elapsedMs)} ms ` +
        `(${Math.round(acknowledged / (elapsedMs / 1000))}/s, the producer using ${cpu} cores), ` +
        `${failedSends} failed sends`,
    );
    if (failedSends > 0) problems.push(`the ingesting producer failed ${failedSends} sends`);
    if (problems.length > 0) throw new Error(`wrong answers: ${problems.join('; ')}`);
  } finally {
    for (const child of children) if (child.connected) child.disconnect();
    await app?.close();
    await forgetApplication(admin, applicationId, topics);
    await admin.disconnect();
    await removeStateDir(stateDir);
  }
}

export const apiSuite: BenchSuite = {
  name: BENCH,
  description: `pull queries over HTTP against one instance holding ${DEVICES} devices, idle and ingesting`,
  run,
};

const role = process.env[ROLE_ENV];
if (role !== undefined) await childMain(role);
