import type { ReplayProgress } from '../capture/replay.js';

const BAR_WIDTH = 24;
const PLAIN_EVERY_MS = 5000;

export interface ProgressReporter {
  readonly update: (progress: ReplayProgress) => void;
  /** Ends the bar's line. Idempotent. */
  readonly done: () => void;
}

/** A count as people read it: 1,234,567. */
export const count = (n: number): string => n.toLocaleString('en-US');

/**
 * Shows replay progress: on a terminal, one line redrawn in place with a bar when `fraction` can tell how
 * far through the input it is; otherwise (a log file, CI) a plain line every 5 seconds.
 */
export function progressReporter(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  fraction: (() => number | undefined) | undefined,
  now: () => number = Date.now,
): ProgressReporter {
  const started = now();
  let lastPlain = started;
  let drawn = false;
  let finished = false;
  const describe = (p: ReplayProgress) => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = Math.round(p.framesRead / seconds);
    const pass = p.passes > 1 ? ` · pass ${p.passes}` : '';
    return `${count(p.framesRead)} frames (${count(p.probeRequests)} probe requests) · ${count(p.acknowledged)} acknowledged · ${count(rate)} frames/s${pass}`;
  };
  return {
    update(progress) {
      if (finished) return;
      if (stream.isTTY) {
        const f = fraction?.();
        const bar =
          f === undefined
            ? ''
            : `[${'#'.repeat(Math.round(Math.min(1, f) * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}] ${Math.floor(Math.min(1, f) * 100)}% `;
        const line = `${bar}${describe(progress)}`;
        const width = (stream.columns ?? 120) - 1;
        stream.write(`\r\x1b[2K${line.slice(0, width)}`);
        drawn = true;
      } else if (now() - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = now();
        stream.write(`[probestream] replay: ${describe(progress)}\n`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawn) stream.write('\n');
    },
  };
}
