import { expect, test } from 'vitest';
import { FixedWindowRateLimiter } from '../../src/api/rate-limit.js';

test('allows max requests per client in a window, then says how long to wait, then forgets', () => {
  let now = 1_000_000;
  const limiter = new FixedWindowRateLimiter({ max: 2, timeWindowMs: 10_000 }, () => now);
  expect(limiter.take('a')).toEqual({ allowed: true });
  expect(limiter.take('a')).toEqual({ allowed: true });
  expect(limiter.take('b')).toEqual({ allowed: true });
  now += 2_500;
  expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 8 });
  now += 7_500;
  expect(limiter.take('a')).toEqual({ allowed: true });
});
