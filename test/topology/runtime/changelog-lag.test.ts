import { describe, expect, it } from 'vitest';
import { ChangelogLag } from '../../../src/topology/runtime/changelog-lag.js';

describe('ChangelogLag', () => {
  it('is unknown until a restore reports, then end - position, never below 0', () => {
    const lag = new ChangelogLag();
    expect(lag.lag).toBeUndefined();
    expect(lag.caughtUp).toBe(false);
    lag.observe({ to: 10n, position: 4n });
    expect(lag.lag).toBe(6);
    expect(lag.caughtUp).toBe(false);
    lag.observe({ to: 10n, position: 10n });
    expect(lag.lag).toBe(0);
    expect(lag.caughtUp).toBe(true);
    lag.observe({ to: 12n, position: 10n });
    expect(lag.lag).toBe(2);
    expect(lag.caughtUp).toBe(true);
    lag.observe({ to: 3n, position: 10n });
    expect(lag.lag).toBe(0);
  });

  it('forgets what it saw when its copy stops following the changelog', () => {
    const lag = new ChangelogLag();
    lag.observe({ to: 5n, position: 5n });
    lag.forget();
    expect(lag.lag).toBeUndefined();
    expect(lag.caughtUp).toBe(false);
  });
});
