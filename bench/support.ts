import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Admin, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import { startLocalKafka } from '../src/local/index.js';
import type { KafkaStreams } from '../src/topology/index.js';

/**
 * What the benchmarks share: the broker, their kafkajs clients, the record count, and the one output format.
 * Figures go to stdout as one JSON object per line; everything else goes to stderr, so that
 * `npm run bench --silent > figures.jsonl` keeps only the figures.
 */

/** One figure, as a line of stdout. */
export interface Figure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly [extra: string]: unknown;
}

const RESERVED = new Set(['bench', 'metric', 'value', 'unit']);

/** Prints one figure as one JSON line on stdout. `extra` adds context fields; it cannot replace the four. */
export function report(
  bench: string,
  metric: string,
  value: number,
  unit: string,
  extra: Readonly<Record<string, unknown>> = {},
): void {
  for (const key of Object.keys(extra)) {
    if (RESERVED.has(key)) throw new TypeError(`report(): extra field ${key} would replace the figure's own`);
  }
  const figure: Figure = { bench, metric, value, unit, ...extra };
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Progress and diagnostics, on stderr, stamped with seconds since the process started. */
export function log(message: string): void {
  process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${message}\n`);
}

/** A name no earlier run used: topics, group ids and application ids are never reused. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Events per second, rounded to a whole event. */
export function perSecond(events: number, elapsedMs: number): number {
  return Math.round(events / (elapsedMs / 1000));
}

/** The process's resident set size in MiB, one decimal. */
export function rssMb(): number {
  return mb(process.memoryUsage.rss());
}

/** MiB, one decimal. */
export function mb(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/** Events per second over events per second, rounded to three decimals. */
export function ratio(numerator: number, denominator: number): number {
  return Math.round((numerator / denominator) * 1000) / 1000;
}

export const DEFAULT_RECORDS = 1_000_000;
export const DEFAULT_KEYS = 1_000_000;

/** `BENCH_RECORDS`: how many records a suite produces and measures, a positive integer; default 1,000,000. */
export function recordCount(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInteger(env, 'BENCH_RECORDS', DEFAULT_RECORDS);
}

/** `BENCH_KEYS`: how many distinct keys the state suite restores, a positive integer; default 1,000,000. */
export function keyCount(env: NodeJS.ProcessEnv = process.env): number {
  return positiveInteger(env, 'BENCH_KEYS', DEFAULT_KEYS);
}

/** A positive integer from `env[name]` ("1_000_000" reads too), or `fallback` when unset; a TypeError otherwise. */
function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const count = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return count;
}

/** A broker to run against, and how to let go of it. */
export interface BenchBroker {
  readonly brokers: readonly string[];
  /** True when the harness started the broker itself (and `stop` stops it). */
  readonly local: boolean;
  /** A local broker only: stops it (cleanly, or kill -9) and starts it again on the same data and port. */
  readonly restart?: (options: { readonly kill: boolean }) => Promise<void>;
  stop(): Promise<void>;
}

/**
 * `KAFKA_BROKERS` (host:port, comma-separated) when set; otherwise a local single-node broker, started now
 * and stopped by `stop()`.
 */
export async function benchBroker(env: NodeJS.ProcessEnv = process.env): Promise<BenchBroker> {
  const configured = env.KAFKA_BROKERS?.trim();
  if (configured) {
    const brokers = configured.split(',').map((broker) => broker.trim());
    log(`using KAFKA_BROKERS=${brokers.join(',')}`);
    return { brokers, local: false, stop: async () => undefined };
  }
  log('KAFKA_BROKERS is not set: starting a local broker');
  const kafka = await startLocalKafka();
  log(`local broker ${kafka.brokers} (Kafka ${kafka.version}) is up; its log: ${kafka.logFile}`);
  return {
    brokers: [kafka.brokers],
    local: true,
    restart: (options) => kafka.restart(options),
    stop: () => kafka.stop(),
  };
}

/** A kafkajs client that logs errors only. */
export function benchKafka(brokers: readonly string[], clientId = uniqueName('bench')): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

/** What a suite is given to run with. */
export interface SuiteContext {
  readonly brokers: readonly string[];
  /** Records to produce and measure (`BENCH_RECORDS`). */
  readonly records: number;
  /** Distinct keys to hold in state, for the suites that measure state (`BENCH_KEYS`). */
  readonly keys: number;
  /** `--duration <seconds>`, for the suites that run for a set time (chaos); undefined: their default. */
  readonly durationMs: number | undefined;
  /** Set when the harness started the broker: the suites that restart it (chaos) need this. */
  readonly restartBroker: BenchBroker['restart'];
}

/** A benchmark suite: `npm run bench -- <name>` runs it. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Left out of a run that names no suite (chaos: it takes minutes and restarts the broker). */
  readonly onlyWhenNamed?: boolean;
  run(context: SuiteContext): Promise<void>;
}

/**
 * Polls `read` every `intervalMs` until `done` holds, and answers the time (performance.now()) of the poll
 * that saw it. Fails after `timeoutMs` naming `what` and the last value read.
 */
export async function pollUntil<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: { intervalMs: number; timeoutMs: number },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    const now = performance.now();
    if (done(last)) return now;
    if (now > deadline) {
      throw new Error(
        `${what}: not done within ${options.timeoutMs} ms; last value: ${JSON.stringify(last)}`,
      );
    }
    await sleep(options.intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for a run to finish, with room for a slow, shared machine: a minute plus 5,000 records a second. */
export function timeoutFor(records: number): number {
  return 60_000 + Math.ceil(records / 5);
}

/** Messages per produce request, and requests in flight at once. */
export const PRODUCE_CHUNK = 5_000;
export const PRODUCE_IN_FLIGHT = 4;

/**
 * Produces `records` messages into `topic`, `next(count)` making each chunk as it is sent (nothing is kept),
 * with acks from every replica. Answers the time it took, in ms.
 */
export async function produceMessages(
  kafka: Kafka,
  topic: string,
  records: number,
  next: (count: number) => Message[],
): Promise<number> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const started = performance.now();
    let sent = 0;
    const worker = async () => {
      while (sent < records) {
        const count = Math.min(PRODUCE_CHUNK, records - sent);
        sent += count;
        await producer.send({ topic, acks: -1, messages: next(count) });
      }
    };
    await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, worker));
    return performance.now() - started;
  } finally {
    await producer.disconnect();
  }
}

/** The end offset of each partition of `topic`. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

/** The end offsets of `topic`, checked to add up to what was produced. */
export async function producedOffsets(
  admin: Admin,
  topic: string,
  records: number,
): Promise<Map<number, bigint>> {
  const ends = await endOffsets(admin, topic);
  const total = sumOffsets(ends);
  if (total !== records) throw new Error(`${topic} holds ${total} records, not ${records}`);
  return ends;
}

export function sumOffsets(ends: ReadonlyMap<number, bigint>): number {
  return Number([...ends.values()].reduce((sum, end) => sum + end, 0n));
}

/** Partitions whose offset committed by `groupId` has not reached the end yet. */
export async function uncommittedPartitions(
  admin: Admin,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  let behind = 0;
  for (const [partition, end] of ends) if ((committed.get(partition) ?? -1n) < end) behind += 1;
  return behind;
}

/** Deletes what a run made, so that runs against a long-lived broker leave nothing behind. */
export async function forget(admin: Admin, made: { topics: string[]; groups: string[] }): Promise<void> {
  if (made.topics.length > 0) {
    await admin
      .deleteTopics({ topics: made.topics })
      .catch((error) => log(`could not delete topics: ${error}`));
  }
  if (made.groups.length > 0) {
    await admin.deleteGroups(made.groups).catch((error) => log(`could not delete groups: ${error}`));
  }
}

/** The internal topics an application makes: its stores' changelogs and its dead-letter queue. */
export function internalTopics(applicationId: string, stores: readonly string[]): string[] {
  return [...stores.map((store) => `${applicationId}-${store}-changelog`), `${applicationId}-dlq`];
}

/** A fresh, empty state directory for one KafkaStreams instance; `removeStateDir` deletes it. */
export function makeStateDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'probestream-bench-'));
}

export async function removeStateDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch((error) => log(`could not remove ${dir}: ${error}`));
}

/** Sums the samples of an engine counter (one per label set); fails fast when the engine failed. */
export async function counterTotal(
  streams: KafkaStreams,
  counter: 'recordsConsumed' | 'restoredRecords' | 'commits',
): Promise<number> {
  if (streams.state === 'ERROR') throw streams.error ?? new Error('the engine failed');
  const { values } = await streams.metrics[counter].get();
  return values.reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * CPU used during a measurement, in cores (CPU seconds per second): by this process, and by the whole
 * machine (Linux; null elsewhere). The machine figure also counts the local broker; well above this
 * process's plus the broker's usual share, something else was running and the figure is disturbed.
 */
export interface CpuUse {
  readonly cpuProcess: number;
  readonly cpuMachine: number | null;
}

/** Starts measuring CPU use; the function returned reads it since then. */
export function cpuMeter(): () => CpuUse {
  const wallStart = performance.now();
  const processStart = process.cpuUsage();
  const machineStart = machineTicks();
  return () => {
    const wallMs = performance.now() - wallStart;
    const { user, system } = process.cpuUsage(processStart);
    const machineEnd = machineTicks();
    const machine =
      machineStart && machineEnd && machineEnd.total > machineStart.total
        ? ((machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total)) * cpus().length
        : null;
    return {
      cpuProcess: Math.round(((user + system) / 1000 / wallMs) * 100) / 100,
      cpuMachine: machine === null ? null : Math.round(machine * 100) / 100,
    };
  };
}

/** The machine's busy and total CPU time so far, in clock ticks, from /proc/stat's first line. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((n) => !Number.isFinite(n))) return undefined;
    const total = ticks.reduce((sum, n) => sum + n, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The nearest-rank percentile of `samples` (sorted here), to a thousandth; null for no samples. */
export function percentile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return Math.round(at * 1000) / 1000;
}
