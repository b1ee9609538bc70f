import { describe, expect, it, vi } from 'vitest';
import { showRestoreProgress } from '../../src/cli/restore-progress.js';
import type { StoreLag, StreamsState } from '../../src/topology/index.js';

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, columns: 200, write: (text: string) => written.push(text) > 0 }, written };
}

describe('showRestoreProgress', () => {
  it('draws a bar of records left while active tasks restore, and clears it once running', () => {
    vi.useFakeTimers();
    try {
      let lags: StoreLag[] = [
        { store: 'pcap-stats', partition: 0, role: 'active', restoring: true, lag: 1000 },
        { store: 'pcap-stats', partition: 1, role: 'active', restoring: true, lag: 1000 },
        { store: 'pcap-stats', partition: 2, role: 'standby', restoring: true, lag: 5000 },
      ];
      let state: StreamsState = 'REBALANCING';
      const { stream, written } = terminal(true);
      const stop = showRestoreProgress(
        {
          localStoreLags: () => lags,
          get state() {
            return state;
          },
        },
        stream as unknown as NodeJS.WritableStream,
        100,
      );
      vi.advanceTimersByTime(100);
      expect(written.at(-1)).toBe(
        '\r\x1b[2K[........................] restoring 2 stores: 2,000 records to go',
      );
      lags = lags.map((lag) => (lag.role === 'active' ? { ...lag, lag: 500 } : lag));
      vi.advanceTimersByTime(100);
      expect(written.at(-1)).toBe(
        '\r\x1b[2K[############............] restoring 2 stores: 1,000 records to go',
      );
      state = 'RUNNING';
      vi.advanceTimersByTime(100);
      expect(written.at(-1)).toBe('\r\x1b[2K');
      stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('draws nothing when stderr is not a terminal', () => {
    const { stream, written } = terminal(false);
    const stop = showRestoreProgress(
      { localStoreLags: () => [], state: 'REBALANCING' },
      stream as unknown as NodeJS.WritableStream,
    );
    stop();
    expect(written).toEqual([]);
  });
});
