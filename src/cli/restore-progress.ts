import type { StreamsEngine } from '../topology/index.js';
import { count } from './progress.js';

const BAR_WIDTH = 24;

/**
 * On a terminal, one line redrawn while the instance restores its stores before it runs: a bar of the
 * changelog records applied so far against the most that were ever left. Elsewhere it draws nothing: the
 * engine's log lines say the same. Returns a function that stops it.
 */
export function showRestoreProgress(
  streams: Pick<StreamsEngine, 'localStoreLags' | 'state'>,
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  everyMs = 250,
): () => void {
  if (!stream.isTTY) return () => {};
  let most = 0;
  let drawn = false;
  const draw = () => {
    const restoring = streams.localStoreLags().filter((lag) => lag.role === 'active' && lag.restoring);
    if (streams.state === 'RUNNING' || restoring.length === 0) {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
      return;
    }
    const left = restoring.reduce((sum, lag) => sum + (lag.lag ?? 0), 0);
    most = Math.max(most, left);
    const done = most === 0 ? 0 : (most - left) / most;
    const bar = `[${'#'.repeat(Math.round(done * BAR_WIDTH)).padEnd(BAR_WIDTH, '.')}]`;
    const line = `${bar} restoring ${restoring.length} stores: ${count(left)} records to go`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    drawn = true;
  };
  const timer = setInterval(draw, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (drawn) stream.write('\r\x1b[2K');
  };
}
