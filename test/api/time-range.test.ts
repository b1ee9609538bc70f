import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors.js';
import { parseTimeBound, timeRange } from '../../src/api/time-range.js';

const DAY = 86_400_000;
const LIMITS = { defaultSpanMs: DAY, maxSpanMs: 31 * DAY, maxSpanText: '31 days' };

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('from and to of the windowed views', () => {
  it('reads ISO-8601 dates and times with a zone, and epoch milliseconds', () => {
    expect(parseTimeBound('from', '2026-03-10')).toBe(Date.UTC(2026, 2, 10));
    expect(parseTimeBound('from', '2026-03-10T08:30:00Z')).toBe(Date.UTC(2026, 2, 10, 8, 30));
    expect(parseTimeBound('from', '2026-03-10T08:30:00.250+01:00')).toBe(
      Date.UTC(2026, 2, 10, 7, 30, 0, 250),
    );
    expect(parseTimeBound('to', '1773187200000')).toBe(1_773_187_200_000);
  });

  it('refuses what is neither, and a time without a zone (it would be the server’s local time)', () => {
    for (const text of [
      'yesterday',
      '2026-03-10T08:30:00',
      '2026-02-30',
      '-5',
      '1e12',
      '99999999999999999',
      '',
    ])
      expect(refusal(() => parseTimeBound('from', text))).toMatchObject({
        code: 'INVALID_REQUEST',
        statusCode: 400,
        message: expect.stringContaining('from must be an ISO-8601 time'),
      });
    expect(refusal(() => parseTimeBound('from', '2026-03-10T08:30')).message).toBe(
      'from must be an ISO-8601 time (2026-03-10T08:00:00Z) or epoch milliseconds, not "2026-03-10T08:30": ' +
        'a time of day needs its zone, Z or an offset such as +01:00',
    );
    expect(refusal(() => parseTimeBound('from', 'yesterday')).message).not.toContain('zone');
  });

  it('defaults to the span before now, and refuses from after to or a span too wide, saying the limit', () => {
    const now = Date.UTC(2026, 2, 10, 12);
    expect(timeRange({}, LIMITS, now)).toEqual({ from: now - DAY, to: now });
    expect(timeRange({ to: '2026-03-01' }, LIMITS, now)).toEqual({
      from: Date.UTC(2026, 1, 28),
      to: Date.UTC(2026, 2, 1),
    });
    expect(refusal(() => timeRange({ from: '2026-03-11', to: '2026-03-10' }, LIMITS, now)).message).toBe(
      'from (2026-03-11T00:00:00.000Z) is after to (2026-03-10T00:00:00.000Z)',
    );
    expect(refusal(() => timeRange({ from: '2026-01-01', to: '2026-03-01' }, LIMITS, now)).message).toBe(
      'from (2026-01-01T00:00:00.000Z) and to (2026-03-01T00:00:00.000Z) are too far apart: at most 31 days may be asked for at once',
    );
    expect(refusal(() => timeRange({ from: '2020-04-22' }, LIMITS, now)).message).toBe(
      `from (2020-04-22T00:00:00.000Z) and to (${new Date(now).toISOString()}, now, as to was not given) are too far apart: at most 31 days may be asked for at once`,
    );
    expect(timeRange({ from: '2026-01-01', to: '2026-02-01' }, LIMITS, now).to - Date.UTC(2026, 0, 1)).toBe(
      31 * DAY,
    );
  });
});
