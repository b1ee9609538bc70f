import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** `probestream …` as a child process (through tsx, so no build is needed), with its output collected. */
export class CliProcess {
  readonly #process: ChildProcessByStdio<Writable, Readable, Readable>;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], env: Record<string, string | undefined> = {}) {
    const merged: Record<string, string | undefined> = {
      ...process.env,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    };
    // A variable given as undefined is removed, not passed as the text "undefined".
    for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
    this.#process = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: merged,
    });
    this.#process.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.#process.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.#process.once('exit', (code) => resolve(code)));
  }

  get stdin(): Writable {
    return this.#process.stdin;
  }

  /** Resolves when stderr (or stdout) matches; fails with the output if the process exits first or times out. */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (!pattern.test(this.stderr) && !pattern.test(this.stdout)) {
      if (exited || Date.now() > deadline) {
        throw new Error(`no output matching ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.#process.kill(signal);
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }
}

/** Runs `probestream …` to its end. */
export async function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = new CliProcess(args, env);
  if (stdin !== undefined) child.stdin.end(stdin);
  else child.stdin.end();
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}
