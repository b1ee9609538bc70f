import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./streams-child.ts', import.meta.url));

/** A streams-child process: started, waited for, and killed without mercy. */
export class StreamsChild {
  readonly #process: ChildProcessByStdio<null, Readable, Readable>;
  readonly #states: string[] = [];
  #output = '';
  readonly exited: Promise<number | null>;

  constructor(settings: Record<string, unknown>) {
    this.#process = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(settings)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PROBESTREAM_LOG: 'silent' },
    });
    this.#process.stdout.on('data', (chunk: Buffer) => {
      this.#output += chunk.toString();
      for (const match of chunk.toString().matchAll(/^STATE (\w+)$/gm)) this.#states.push(match[1] as string);
    });
    this.#process.stderr.on('data', (chunk: Buffer) => {
      this.#output += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.#process.once('exit', (code) => resolve(code)));
  }

  /** Resolves when the child has reported `state`; fails if it exits first or takes longer than `timeoutMs`. */
  async waitFor(state: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (!this.#states.includes(state)) {
      if (exited || Date.now() > deadline) {
        throw new Error(
          `child never reached ${state} (states: ${this.#states.join(', ')}); output:\n${this.#output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: no shutdown hook, no final commit, no group leave. */
  async kill(): Promise<void> {
    this.#process.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    this.#process.kill('SIGTERM');
    await this.exited;
  }
}
