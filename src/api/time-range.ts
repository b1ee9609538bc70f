import { ApiError } from './errors.js';

/** ISO-8601 date or date-time (a zone required with a time, so that it is never the server's local time). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** The latest time a Date can hold, in ms. */
const MAX_TIME_MS = 8_640_000_000_000_000;

/** Whether the day exists in its month: Date.parse takes 2026-02-30 for 2 March. */
function realDate(iso: string): boolean {
  const [year, month, day] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  return day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The query string schema of `from` or `to`: an ISO-8601 time or epoch ms. */
export function timeBoundSchema(which: 'from' | 'to', fallback: string) {
  return {
    type: 'string',
    minLength: 1,
    maxLength: 40,
    description:
      `${which === 'from' ? 'Start' : 'End'} of the range, inclusive: ISO-8601 UTC or with an offset ` +
      `(2026-03-10, 2026-03-10T08:00:00Z) or epoch milliseconds. Defaults to ${fallback}.`,
    examples: [which === 'from' ? '2026-03-10T00:00:00Z' : '1773187200000'],
  } as const;
}

/** Reads `from` or `to`: INVALID_REQUEST naming the parameter when it is neither ISO-8601 nor epoch ms. */
export function parseTimeBound(name: string, text: string): number {
  const trimmed = text.trim();
  const ms = /^\d{1,16}$/.test(trimmed)
    ? Number(trimmed)
    : ISO_8601.test(trimmed) && realDate(trimmed)
      ? Date.parse(trimmed)
      : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
    // A time of day without a zone is ISO-8601 too: say what it lacks rather than only that it is refused.
    const zoneless = ISO_8601.test(`${trimmed}Z`) && !ISO_8601.test(trimmed);
    throw new ApiError(
      'INVALID_REQUEST',
      `${name} must be an ISO-8601 time (2026-03-10T08:00:00Z) or epoch milliseconds, not ${JSON.stringify(text)}` +
        (zoneless ? ': a time of day needs its zone, Z or an offset such as +01:00' : ''),
    );
  }
  return ms;
}

/**
 * The range a route reads: `to` defaults to now, `from` to `to` minus `defaultSpanMs`. INVALID_REQUEST when
 * from is after to, or when the span is wider than `maxSpanMs` (the message says the limit).
 */
export function timeRange(
  query: { readonly from?: string; readonly to?: string },
  limits: { readonly defaultSpanMs: number; readonly maxSpanMs: number; readonly maxSpanText: string },
  now = Date.now(),
): { readonly from: number; readonly to: number } {
  const to = query.to === undefined ? now : parseTimeBound('to', query.to);
  const from =
    query.from === undefined ? Math.max(0, to - limits.defaultSpanMs) : parseTimeBound('from', query.from);
  if (from > to)
    throw new ApiError(
      'INVALID_REQUEST',
      `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`,
    );
  if (to - from > limits.maxSpanMs) {
    // A `from` alone is measured to now, which a reader of the answer may not have in mind.
    const toText = `${new Date(to).toISOString()}${query.to === undefined ? ', now, as to was not given' : ''}`;
    throw new ApiError(
      'INVALID_REQUEST',
      `from (${new Date(from).toISOString()}) and to (${toText}) are too far apart: at most ${limits.maxSpanText} may be asked for at once`,
    );
  }
  return { from, to };
}
