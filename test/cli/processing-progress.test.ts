import { afterEach, describe, expect, it, vi } from 'vitest';
import { logProcessingProgress } from '../../src/cli/processing-progress.js';

/** The engine's metrics as prom-client's getMetricsAsJSON gives them, with the figures given. */
function metrics(figures: { consumed: number[]; lag: number[]; restored?: number; remaining?: number }) {
  const values = (numbers: number[]) => numbers.map((value, partition) => ({ value, labels: { partition } }));
  return [
    {
      name: 'probestream_records_consumed_total',
      type: 'counter',
      help: '',
      aggregator: 'sum',
      values: values(figures.consumed),
    },
    {
      name: 'probestream_consumer_lag',
      type: 'gauge',
      help: '',
      aggregator: 'sum',
      values: values(figures.lag),
    },
    {
      name: 'probestream_restored_records_total',
      type: 'counter',
      help: '',
      aggregator: 'sum',
      values: values([figures.restored ?? 0]),
    },
    {
      name: 'probestream_restore_remaining_records',
      type: 'gauge',
      help: '',
      aggregator: 'sum',
      values: values([figures.remaining ?? 0]),
    },
  ] as never;
}

describe('the progress lines of probestream start', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shouldLogRateLagAndRestoredEvery10sWhileBehindThenOnceWhenCaughtUp', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const scrapes = [
      metrics({ consumed: [0, 0], lag: [30_000, 20_000], restored: 1200, remaining: 300 }),
      metrics({ consumed: [15_000, 10_000], lag: [15_000, 10_000], restored: 1500 }),
      metrics({ consumed: [30_000, 20_000], lag: [0, 0], restored: 1500 }),
      metrics({ consumed: [30_000, 20_000], lag: [0, 0], restored: 1500 }),
      metrics({ consumed: [30_100, 20_000], lag: [7, 0], restored: 1500 }),
    ];
    const lines: string[] = [];
    const stop = logProcessingProgress(
      async () => scrapes.shift() ?? scrapes.at(-1) ?? [],
      (line) => lines.push(line),
      {
        now: () => clock,
      },
    );
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 4; i++) {
      clock += 10_000;
      await vi.advanceTimersByTimeAsync(10_000);
    }
    stop();
    expect(lines).toEqual([
      'processing 0 records/s, lag 50,000 records, 1,200 restored (300 still to restore)',
      'processing 2,500 records/s, lag 25,000 records, 1,500 restored',
      'caught up: lag 0, 50,000 records read, 1,500 restored',
      'processing 10 records/s, lag 7 records, 1,500 restored',
    ]);
  });

  it('shouldSkipAScrapeThatFailsAndCarryOn', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const lines: string[] = [];
    const stop = logProcessingProgress(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('the worker did not answer');
        return metrics({ consumed: [5], lag: [0] });
      },
      (line) => lines.push(line),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    stop();
    expect(lines).toEqual(['caught up: lag 0, 5 records read, 0 restored']);
  });
});
