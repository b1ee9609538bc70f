import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalKafka } from '../src/local/index.js';

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
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

export const DEFAULT_RECORDS = 1_000_000;

/** `BENCH_RECORDS`: how many records a suite produces and measures, a positive integer; default 1,000,000. */
export function recordCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BENCH_RECORDS;
  if (raw === undefined || raw === '') return DEFAULT_RECORDS;
  const count = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new TypeError(`BENCH_RECORDS must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return count;
}

/** A broker to run against, and how to let go of it. */
export interface BenchBroker {
  readonly brokers: readonly string[];
  /** True when the harness started the broker itself (and `stop` stops it). */
  readonly local: boolean;
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
  return { brokers: [kafka.brokers], local: true, stop: () => kafka.stop() };
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
}

/** A benchmark suite: `npm run bench -- <name>` runs it. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
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
