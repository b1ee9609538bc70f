import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { count } from './progress.js';

type Metrics = readonly MetricObjectWithValues<MetricValue<string>>[];

/** What the progress line reports, summed over topics, partitions and stores. */
export interface ProcessingFigures {
  readonly consumed: number;
  readonly lag: number;
  readonly restored: number;
  readonly restoreRemaining: number;
}

function total(metrics: Metrics, name: string): number {
  const metric = metrics.find((m) => m.name === name);
  return metric === undefined ? 0 : metric.values.reduce((sum, v) => sum + (Number(v.value) || 0), 0);
}

export function processingFigures(metrics: Metrics): ProcessingFigures {
  return {
    consumed: total(metrics, 'probestream_records_consumed_total'),
    lag: total(metrics, 'probestream_consumer_lag'),
    restored: total(metrics, 'probestream_restored_records_total'),
    restoreRemaining: total(metrics, 'probestream_restore_remaining_records'),
  };
}

/**
 * Logs a line every `everyMs` (10 s) while the instance is behind (consumer lag, or records left to
 * restore): records/s since the last line, the lag and what was restored; then one line when it has caught
 * up, and nothing more until it falls behind again. So a log shows when a replay has been worked off
 * without a look at /metrics. A scrape that fails (the worker busy) is skipped. Returns a function that
 * stops it.
 */
export function logProcessingProgress(
  readMetrics: () => Promise<Metrics>,
  log: (line: string) => void,
  options: { readonly everyMs?: number; readonly now?: () => number } = {},
): () => void {
  const everyMs = options.everyMs ?? 10_000;
  const now = options.now ?? Date.now;
  let last: { figures: ProcessingFigures; at: number } | undefined;
  let caughtUpSaid = false;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const figures = processingFigures(await readMetrics());
      const at = now();
      const seconds = last === undefined ? 0 : (at - last.at) / 1000;
      const rate = seconds > 0 && last ? Math.max(0, figures.consumed - last.figures.consumed) / seconds : 0;
      last = { figures, at };
      if (figures.lag > 0 || figures.restoreRemaining > 0) {
        caughtUpSaid = false;
        const restoring =
          figures.restoreRemaining > 0 ? ` (${count(figures.restoreRemaining)} still to restore)` : '';
        log(
          `processing ${count(Math.round(rate))} records/s, lag ${count(figures.lag)} records, ` +
            `${count(figures.restored)} restored${restoring}`,
        );
      } else if (!caughtUpSaid) {
        caughtUpSaid = true;
        log(`caught up: lag 0, ${count(figures.consumed)} records read, ${count(figures.restored)} restored`);
      }
    } catch {
      // The next tick tries again: progress lines are a courtesy, never a reason to stop.
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
