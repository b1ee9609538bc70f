import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cliNodeOptions } from '../cli-node-options.js';
import { log, sleep } from '../support.js';

/**
 * The probe application's instances as real child processes (`node dist/cli/main.js start`), each with
 * its own state folder, port and log file, and the supervision a chaos run needs: kill -9 on request,
 * a restart after an exit the harness did not cause (logged with the tail of its output), and readiness
 * (`/readyz`) timed from each start.
 */

const CLI = new URL('../../dist/cli/main.js', import.meta.url);
/** Lines of an instance's output kept to show when it exits by itself. */
const TAIL_LINES = 25;
/** An instance that exited by itself is started again after this pause (a crash loop stays visible). */
const SELF_EXIT_RESTART_MS = 2_000;
const READY_POLL_MS = 250;
/** Longer than any restore here should take: past it, a start counts as never ready. */
export const READY_TIMEOUT_MS = 180_000;
const KILL_WAIT_MS = 10_000;

/** Every child this process started and has not seen exit: killed if the harness exits in any way. */
const live = new Set<ChildProcess>();
/** Set once every instance was killed: their exits are then not theirs to report. */
let allKilled = false;
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Kills every instance at once (SIGKILL), for Ctrl-C and failures. */
export function killAllInstances(): void {
  allKilled = true;
  for (const child of live) child.kill('SIGKILL');
}

export interface InstanceSettings {
  readonly brokers: string;
  readonly applicationId: string;
  readonly partitions: number;
}

export interface SelfExit {
  readonly instance: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly tail: string;
}

export type InstanceState = 'down' | 'starting' | 'listening' | 'ready';

export class Instance {
  readonly index: number;
  readonly port: number;
  readonly stateDir: string;
  state: InstanceState = 'down';
  /** Seconds from each start (after the first) to /readyz 200; null: not ready within READY_TIMEOUT_MS. */
  readonly restartToReadyS: (number | null)[] = [];
  readonly selfExits: SelfExit[] = [];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #tail: string[] = [];
  #starts = 0;
  #killing = false;
  readonly #log: WriteStream;
  readonly #settings: InstanceSettings;
  readonly #onSelfExit: (instance: Instance) => void;

  constructor(
    index: number,
    options: InstanceSettings & {
      port: number;
      stateDir: string;
      logFile: string;
      onSelfExit: (instance: Instance) => void;
    },
  ) {
    this.index = index;
    this.port = options.port;
    this.stateDir = options.stateDir;
    this.#settings = options;
    this.#onSelfExit = options.onSelfExit;
    this.#log = createWriteStream(options.logFile, { flags: 'a' });
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the process; readiness is watched in the background. */
  start(): void {
    if (this.#child) throw new Error(`instance ${this.index} is already running`);
    const { brokers, applicationId, partitions } = this.#settings;
    const args = [
      ...['start', '--brokers', brokers, '--application-id', applicationId],
      ...['--state-dir', this.stateDir, '--port', String(this.port), '--partitions', String(partitions)],
      ...['--processing-guarantee', 'exactly_once', '--num-standby-replicas', '1'],
    ];
    const started = performance.now();
    const first = this.#starts++ === 0;
    this.#tail = [];
    this.#killing = false;
    this.#log.write(`\n==== start ${this.#starts} at ${new Date().toISOString()} ====\n`);
    const child = spawn(process.execPath, [...cliNodeOptions(CLI.pathname), CLI.pathname, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    });
    this.#child = child;
    live.add(child);
    this.state = 'starting';
    const keep = (chunk: Buffer) => {
      this.#log.write(chunk);
      this.#tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.#tail.length > TAIL_LINES) this.#tail.splice(0, this.#tail.length - TAIL_LINES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (this.#child === child) {
          this.#child = undefined;
          this.state = 'down';
        }
        resolve();
        if (this.#killing || allKilled) return;
        const exit: SelfExit = { instance: this.index, code, signal, tail: this.#tail.join('\n') };
        this.selfExits.push(exit);
        log(
          `instance ${this.index} exited by itself (code ${code}, signal ${signal}); last lines:\n` +
            exit.tail.replace(/^/gm, `  [${this.index}] `),
        );
        this.#onSelfExit(this);
      });
    });
    void this.#watchReadiness(child, started, first);
  }

  /** kill -9, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#killing = true;
    this.state = 'down';
    child.kill('SIGKILL');
    await Promise.race([this.#exited, sleep(KILL_WAIT_MS)]);
  }

  /** Stops the process cleanly (SIGTERM; SIGKILL after KILL_WAIT_MS), as an operator would. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#killing = true;
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      this.#exited.then(() => true),
      sleep(KILL_WAIT_MS).then(() => false),
    ]);
    if (!stopped) await this.kill();
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  /** Polls /readyz: any answer means the API listens, 200 that every task is restored. */
  async #watchReadiness(child: ChildProcess, started: number, first: boolean): Promise<void> {
    const deadline = started + READY_TIMEOUT_MS;
    while (this.#child === child && performance.now() < deadline) {
      const status = await readyStatus(this.port);
      if (this.#child !== child) return;
      if (status === 200) {
        this.state = 'ready';
        const seconds = Math.round((performance.now() - started) / 100) / 10;
        if (!first) this.restartToReadyS.push(seconds);
        log(`instance ${this.index} ready ${seconds} s after its start`);
        return;
      }
      if (status !== undefined) this.state = 'listening';
      await sleep(READY_POLL_MS);
    }
    if (this.#child === child) {
      if (!first) this.restartToReadyS.push(null);
      log(`instance ${this.index} not ready ${READY_TIMEOUT_MS / 1000} s after its start`);
    }
  }
}

/** The status /readyz answers, or undefined when nothing answers. */
async function readyStatus(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/** Starts an instance that exited by itself again, once, after a pause, while `supervising()` holds. */
export function restartAfterSelfExit(supervising: () => boolean): (instance: Instance) => void {
  return (instance) => {
    setTimeout(() => {
      if (!supervising() || instance.running) return;
      log(`instance ${instance.index}: starting it again`);
      instance.start();
    }, SELF_EXIT_RESTART_MS);
  };
}
