/**
 * Live capture through tshark: `tshark -i <interface> [-I] -l -n -T ek -e …`, its stdout read by the EK reader
 * into canonical `pcap` records. The same command with `-r <file>` replays a capture (tests, old files).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { PcapValue } from '../probes/pcap.js';
import { type EkReadOptions, type EkReadStats, readEkLines, TSHARK_FIELDS } from './ek.js';
import { CaptureError } from './errors.js';

// Re-exported: the fields belong to the EK reader, which names them when it refuses full EK output.
export { TSHARK_FIELDS };

export interface TsharkCaptureOptions {
  /** The interface to capture on, e.g. `wlan0mon`. Exactly one of `interface` and `file`. */
  readonly interface?: string;
  /** A capture file to read instead (`-r`). */
  readonly file?: string;
  /** Put the interface in monitor mode (`-I`); needs a driver that supports it. Defaults to false. */
  readonly monitorMode?: boolean;
  /** A BPF capture filter (`-f`), e.g. `type mgt subtype probe-req`. Live capture only. Defaults to none: every frame. */
  readonly captureFilter?: string;
  /** A display filter (`-Y`), e.g. `wlan.fc.type_subtype == 4`. Defaults to none. */
  readonly displayFilter?: string;
  /** The tshark executable. Defaults to `tshark` on PATH. */
  readonly tsharkPath?: string;
  /** Stops the capture: SIGTERM, then SIGKILL after `killGraceMs`. Iteration then ends normally. */
  readonly signal?: AbortSignal;
  /** How long tshark has to exit after SIGTERM before it is killed, in ms. 0 to 60000. Defaults to 3000. */
  readonly killGraceMs?: number;
  /** Receives tshark's stderr, line by line ("Capturing on 'wlan0'", packet counts, warnings). Defaults to none. */
  readonly log?: (line: string) => void;
  /** Passed to the EK reader: `strict` and the invalid-line reporting. */
  readonly ek?: Pick<EkReadOptions, 'strict' | 'maxLineBytes' | 'maxInvalidReasons' | 'onInvalidLine'>;
}

/** A running (or not yet started) tshark capture. tshark starts when iteration starts; iterate once. */
export interface TsharkCapture extends AsyncIterable<PcapValue> {
  /** tshark's arguments, for logs. */
  readonly args: readonly string[];
  /** The EK reader's counts so far. */
  readonly stats: EkReadStats;
}

const STDERR_TAIL_LINES = 20;
const NOT_STARTED: EkReadStats = Object.freeze({
  lines: 0,
  frames: 0,
  skipped: 0,
  blank: 0,
  invalid: 0,
  invalidLines: [],
});

/** tshark's command-line arguments for these options (validated). */
export function tsharkArgs(options: TsharkCaptureOptions): string[] {
  const { interface: iface, file, captureFilter, displayFilter } = options;
  if ((iface === undefined) === (file === undefined)) {
    throw new TypeError('give exactly one of interface (live capture) and file (-r)');
  }
  const args: string[] = [];
  if (iface !== undefined) {
    // tshark would read `-i -w…` as another flag: a name from a config file must not smuggle one in.
    if (typeof iface !== 'string' || iface.trim() === '' || iface.startsWith('-') || hasControl(iface)) {
      throw new TypeError(
        `interface must be a non-empty name not starting with '-', got ${JSON.stringify(iface)}`,
      );
    }
    args.push('-i', iface);
    if (options.monitorMode) args.push('-I');
    if (captureFilter !== undefined) args.push('-f', checkedFilter('captureFilter', captureFilter));
  } else {
    if (typeof file !== 'string' || file === '' || hasControl(file)) {
      throw new TypeError(`file must be a non-empty path, got ${JSON.stringify(file)}`);
    }
    if (options.monitorMode || captureFilter !== undefined) {
      throw new TypeError('monitorMode and captureFilter apply to live capture only, not to file (-r)');
    }
    args.push('-r', file);
  }
  if (displayFilter !== undefined) args.push('-Y', checkedFilter('displayFilter', displayFilter));
  // -l: flush every frame, so records flow while capturing; -n: no name lookups (they do not change fields).
  args.push('-l', '-n', '-T', 'ek');
  for (const field of TSHARK_FIELDS) args.push('-e', field);
  return args;
}

/**
 * Runs tshark and reads its EK output as canonical `pcap` records. Fails with
 * CaptureError('CAPTURE_TSHARK_NOT_FOUND') when tshark cannot be started, and
 * CaptureError('CAPTURE_TSHARK_FAILED') (with the tail of its stderr) when it exits with an error. Ending the
 * iteration early, an error, or the abort signal stops tshark; it is killed if it does not exit in time.
 */
export function captureWithTshark(options: TsharkCaptureOptions): TsharkCapture {
  const args = tsharkArgs(options);
  const tsharkPath = options.tsharkPath ?? 'tshark';
  const killGraceMs = options.killGraceMs ?? 3000;
  if (!Number.isInteger(killGraceMs) || killGraceMs < 0 || killGraceMs > 60_000) {
    throw new TypeError(`killGraceMs must be an integer from 0 to 60000, got ${killGraceMs}`);
  }
  const log = options.log ?? (() => {});
  let stats: () => EkReadStats = () => NOT_STARTED;
  let started = false;

  async function* run(): AsyncGenerator<PcapValue> {
    if (options.signal?.aborted) return;
    const tshark = new TsharkProcess(tsharkPath, args, killGraceMs, log);
    options.signal?.addEventListener('abort', tshark.stop, { once: true });
    const reader = readEkLines(tshark.child.stdout, { ...options.ek, source: `tshark ${args.join(' ')}` });
    stats = () => reader.stats;
    try {
      yield* reader;
      const { code, signal } = await tshark.exited;
      await tshark.stderrDone;
      if (tshark.spawnError !== undefined) throw startFailure(tsharkPath, tshark.spawnError);
      if (!tshark.stopping && code !== 0) {
        const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = tshark.stderrTail.filter((line) => line.trim() !== '').join('\n');
        throw new CaptureError('CAPTURE_TSHARK_FAILED', `tshark ${how}${tail ? `:\n${tail}` : ''}`);
      }
    } catch (error) {
      // A failed spawn also closes stdout; say why rather than what the reader saw.
      if (tshark.spawnError !== undefined && !(error instanceof CaptureError))
        throw startFailure(tsharkPath, tshark.spawnError);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', tshark.stop);
      await tshark.dispose();
    }
  }

  return {
    args,
    get stats(): EkReadStats {
      return stats();
    },
    [Symbol.asyncIterator](): AsyncIterator<PcapValue> {
      if (started) throw new TypeError('a TsharkCapture is iterated once');
      started = true;
      return run();
    },
  };
}

/**
 * A running tshark, in a process group of its own so that a SIGKILL also reaches the dumpcap that tshark
 * runs for live capture (killed alone, tshark leaves dumpcap capturing). Its owner stops it (`stop`), not the
 * terminal; a process.exit() kills it rather than leave it capturing with no one reading.
 */
class TsharkProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines of its stderr, each also logged. */
  readonly stderrTail: string[] = [];
  readonly stderrDone: Promise<void>;
  spawnError: NodeJS.ErrnoException | undefined;
  stopping = false;
  readonly #killGraceMs: number;
  readonly #log: (line: string) => void;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(path: string, args: readonly string[], killGraceMs: number, log: (line: string) => void) {
    this.#killGraceMs = killGraceMs;
    this.#log = log;
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.spawnError ??= error;
        resolve({ code: null, signal: null });
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    process.once('exit', this.#onExit);
    this.stderrDone = new Promise<void>((resolve) => {
      const lines = createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        log(line);
      });
      lines.once('close', resolve);
    });
  }

  get #running(): boolean {
    const { child } = this;
    return child.exitCode === null && child.signalCode === null && this.spawnError === undefined;
  }

  #killGroup(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }

  readonly #onExit = (): void => {
    if (this.#running) this.#killGroup();
  };

  /** SIGTERM to tshark alone (it stops its dumpcap and flushes its output); SIGKILL to its group after the grace. */
  readonly stop = (): void => {
    this.stopping = true;
    if (!this.#running || this.#killTimer !== undefined) return;
    this.child.kill('SIGTERM');
    this.#killTimer = setTimeout(() => {
      if (this.#running) {
        this.#log(`tshark did not exit within ${this.#killGraceMs} ms of SIGTERM: killing it`);
        this.#killGroup();
      }
    }, this.#killGraceMs);
  };

  /** Stops it and waits for its end; whatever it left in its group (a dumpcap, if it died abruptly) goes too. */
  async dispose(): Promise<void> {
    this.stop();
    await this.exited;
    clearTimeout(this.#killTimer);
    this.#killGroup();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    process.off('exit', this.#onExit);
  }
}

export interface TsharkVersion {
  /** e.g. `4.0.17`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The first line of `tshark --version`. */
  readonly banner: string;
}

/** The installed tshark's version, from `tshark --version`. */
export async function tsharkVersion(tsharkPath = 'tshark'): Promise<TsharkVersion> {
  const child = spawn(tsharkPath, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(startFailure(tsharkPath, error)));
    child.once('close', resolve);
  });
  const banner = output.split('\n', 1)[0]?.trim() ?? '';
  const match = /\b(\d+)\.(\d+)\.(\d+)\b/.exec(banner);
  if (code !== 0 || match === null) {
    throw new CaptureError(
      'CAPTURE_TSHARK_FAILED',
      `\`${tsharkPath} --version\` exited with code ${code} and printed ${JSON.stringify(banner)}`,
    );
  }
  const [version, major, minor, patch] = match;
  return { version, major: Number(major), minor: Number(minor), patch: Number(patch), banner };
}

function startFailure(tsharkPath: string, error: NodeJS.ErrnoException): CaptureError {
  if (error.code === 'ENOENT') {
    return new CaptureError(
      'CAPTURE_TSHARK_NOT_FOUND',
      `${tsharkPath} was not found: install Wireshark's tshark (Debian: apt-get install tshark)`,
      { cause: error },
    );
  }
  return new CaptureError('CAPTURE_TSHARK_FAILED', `${tsharkPath} could not be started: ${error.message}`, {
    cause: error,
  });
}

function checkedFilter(name: string, filter: string): string {
  if (typeof filter !== 'string' || filter.trim() === '' || hasControl(filter)) {
    throw new TypeError(`${name} must be a non-empty filter expression, got ${JSON.stringify(filter)}`);
  }
  return filter;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
const CONTROL = /[\u0000-\u001f\u007f]/;

function hasControl(text: string): boolean {
  return CONTROL.test(text);
}
