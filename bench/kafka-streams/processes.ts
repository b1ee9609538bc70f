import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import { log, pollUntil } from '../support.js';

/**
 * What the kafka-streams suite needs of the two applications it times: each as a child process, timed from
 * its spawn, its CPU time read from /proc, and its consumer group's lag read from the broker.
 */

/** Every child this process started and has not seen exit: killed if the bench exits in any way. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

let clockTicks: number | undefined;

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times (100 on Linux almost everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system, every thread) a live process has used, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name, in parentheses, may hold blanks: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/** A child process with its output (stdout and stderr) kept in a log file and handed, line by line, to whoever listens. */
export class ChildApp {
  readonly name: string;
  /** performance.now() just before the spawn. */
  readonly startedAt: number;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #log: WriteStream;
  readonly #listeners = new Set<(line: string) => void>();
  #tail: string[] = [];

  constructor(name: string, command: string, args: readonly string[], options: { logFile: string }) {
    this.name = name;
    this.#log = createWriteStream(options.logFile);
    this.startedAt = performance.now();
    this.child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        this.#log.write(chunk);
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line);
      });
    }
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote, to show when it fails. */
  get tail(): string {
    return this.#tail.join('\n');
  }

  #line(line: string): void {
    this.#tail.push(line);
    this.#tail = this.#tail.slice(-20);
    for (const listener of this.#listeners) listener(line);
  }

  /** Calls `listener` with every later line of output (stdout and stderr); the function returned stops it. */
  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the time (performance.now()) of the first later line of output that `matches`. */
  whenLine(matches: (line: string) => boolean): Promise<number> {
    return new Promise((resolve) => {
      const off = this.onLine((line) => {
        if (!matches(line)) return;
        off();
        resolve(performance.now());
      });
    });
  }

  /** Sends `signal`, then SIGKILL if the process has not exited within `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<void> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

/** Lag of `groupId` on `topic`: the end offsets minus its committed offsets; undefined while unknown. */
async function topicLag(admin: Admin, groupId: string, topic: string): Promise<number | undefined> {
  let ends: { partition: number; high: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } catch {
    return undefined; // not created yet
  }
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  let lag = 0n;
  for (const { partition, high } of ends) {
    const at = committed.get(partition) ?? -1n;
    lag += BigInt(high) - (at < 0n ? 0n : at);
  }
  return Number(lag);
}

/**
 * Waits until `groupId` has committed every topic of `topics` to its end, and answers the time
 * (performance.now()) of the poll that saw it. Topics are read in order, upstream first: once the input
 * is committed to its end, everything written from it to a repartition topic is in (at-least-once commits
 * the input only after those writes were acknowledged), so the repartition topic's end read after is final.
 */
export async function waitCaughtUp(
  app: ChildApp,
  admin: Admin,
  groupId: string,
  topics: readonly string[],
  timeoutMs: number,
): Promise<number> {
  let lastLog = performance.now();
  return pollUntil(
    `${app.name}: lag of ${groupId} on ${topics.join(', ')} down to 0`,
    async () => {
      if (!app.running) throw new Error(`${app.name} exited; its last lines:\n${app.tail}`);
      const lags: (number | undefined)[] = [];
      for (const topic of topics) {
        const lag = await topicLag(admin, groupId, topic);
        lags.push(lag);
        if (lag !== 0) break;
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`${app.name}: lag ${lags.map((l) => l ?? '?').join(' / ')}`);
      }
      return lags;
    },
    (lags) => lags.length === topics.length && lags.every((lag) => lag === 0),
    { intervalMs: 200, timeoutMs },
  );
}
