import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { LocalServiceError } from './errors.js';
import { javaCommand } from './java.js';

export interface JavaProcessOptions {
  /** Shown in errors and logs, e.g. `kafka`. */
  readonly name: string;
  readonly classpath: readonly string[];
  readonly mainClass: string;
  readonly args?: readonly string[];
  readonly jvmOptions?: readonly string[];
  /** Everything the process prints goes here. */
  readonly logFile: string;
}

/**
 * A service JVM started through `ParentWatchLauncher`: it holds a pipe on the child's stdin, so the child
 * exits when this Node.js process does, however it ends.
 */
export class JavaProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #log: WriteStream;
  readonly #exited: Promise<number | null>;
  #exitCode: number | null | undefined;

  constructor(options: JavaProcessOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.#log = createWriteStream(options.logFile, { flags: 'a' });
    const args = [
      ...(options.jvmOptions ?? []),
      '-cp',
      options.classpath.join(':'),
      'ParentWatchLauncher',
      options.mainClass,
      ...(options.args ?? []),
    ];
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the service must
    // not die under the Node.js process that still needs it to stop cleanly. The launcher stops it when
    // that process exits (its stdin closes), however it exits.
    this.#child = spawn(javaCommand(), args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.#child.stdout.pipe(this.#log, { end: false });
    this.#child.stderr.pipe(this.#log, { end: false });
    this.#exited = new Promise((resolve) => {
      this.#child.once('error', (error) => {
        this.#log.write(`[probestream] could not start ${options.name}: ${error.message}\n`);
        this.#exitCode = null;
        resolve(null);
      });
      this.#child.once('close', (code, signal) => {
        this.#exitCode = code ?? (signal ? null : 0);
        resolve(this.#exitCode);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  waitForExit(): Promise<number | null> {
    return this.#exited;
  }

  /** Resolves with the first stdout line that matches, or fails if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let buffered = '';
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const match = pattern.exec(line);
          if (match) {
            cleanup();
            resolve(match);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        void this.failure(`printed no line matching ${pattern} within ${timeoutMs} ms`).then(reject);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#child.stdout.off('data', onData);
      };
      this.#child.stdout.on('data', onData);
      void this.#exited.then(async (code) => {
        cleanup();
        reject(await this.failure(`exited (code ${code}) before it was ready`));
      });
    });
  }

  /** A LOCAL_SERVICE_START_FAILED error carrying the tail of the service's log. */
  async failure(what: string, cause?: unknown): Promise<LocalServiceError> {
    let logTail = '';
    try {
      logTail = (await readFile(this.logFile, 'utf8')).trimEnd().split('\n').slice(-40).join('\n');
    } catch {
      // No log yet: the message says what is known.
    }
    return new LocalServiceError(
      'LOCAL_SERVICE_START_FAILED',
      `${this.name} ${what}. Log: ${this.logFile}${logTail ? `\n--- last lines ---\n${logTail}` : ''}`,
      { cause },
    );
  }

  /**
   * Kills the process with SIGKILL, as a crash would: no shutdown hook runs. Resolves once it has exited;
   * its log stays open for a later `stop()`. Idempotent.
   */
  async kill(): Promise<void> {
    if (!this.exited) {
      this.#log.write(`[probestream] ${this.name} killed (SIGKILL) on request\n`);
      this.#child.kill('SIGKILL');
      await this.#exited;
    }
  }

  /**
   * Stops the process by closing its stdin: the launcher then calls System.exit(0), which runs the service's
   * shutdown hooks (a broker shuts down cleanly). SIGKILL after `graceMs`. Idempotent. Resolves once the
   * process has exited and its log is closed.
   */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.exited) {
      this.#child.stdin.end();
      const timer = setTimeout(() => {
        this.#log.write(`[probestream] ${this.name} did not stop within ${graceMs} ms, killing it\n`);
        this.#child.kill('SIGKILL');
      }, graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child.stdin.destroy();
    if (!this.#log.closed) await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}
