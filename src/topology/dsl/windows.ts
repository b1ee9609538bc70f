import type { TimeWindow } from '../../stores/index.js';

function duration(what: string, ms: unknown, min: number): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < min)
    throw new TypeError(`${what} must be a whole number of milliseconds >= ${min}: ${String(ms)}`);
  return ms;
}

/**
 * Fixed-size windows of event time: tumbling (advance = size, the default) or hopping (advance < size).
 * Windows are aligned on the epoch: a window starts at every multiple of the advance. A record belongs to
 * every window [start, start + size) that holds its timestamp. A window takes records until stream time
 * passes its end plus the grace period; later records are dropped and counted.
 */
export class TimeWindows {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    this.sizeMs = sizeMs;
    this.advanceMs = advanceMs;
    this.graceMs = graceMs;
  }

  /** Tumbling windows of `sizeMs` that take no record after they end. */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(duration('a window size', sizeMs, 1), sizeMs, 0);
  }

  /** Tumbling windows of `sizeMs` that take records up to `graceMs` of stream time after they end. */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(
      duration('a window size', sizeMs, 1),
      sizeMs,
      duration('a grace period', graceMs, 0),
    );
  }

  /** Hopping windows: a new window every `advanceMs` (from 1 to the size). */
  advanceBy(advanceMs: number): TimeWindows {
    duration('an advance', advanceMs, 1);
    if (advanceMs > this.sizeMs)
      throw new TypeError(`an advance (${advanceMs} ms) cannot exceed the window size (${this.sizeMs} ms)`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /** The windows that hold `timestamp`, by start. */
  windowsFor(timestamp: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    const first = Math.max(0, timestamp - this.sizeMs + this.advanceMs);
    for (let start = first - (first % this.advanceMs); start <= timestamp; start += this.advanceMs)
      windows.push({ start, end: start + this.sizeMs });
    return windows;
  }
}

/**
 * Sessions: a key's records closer together than `inactivityGapMs` belong to one session, which grows (and
 * merges with its neighbours) as records arrive. A session takes records until stream time passes its end
 * plus the grace period.
 */
export class SessionWindows {
  readonly inactivityGapMs: number;
  readonly graceMs: number;

  private constructor(inactivityGapMs: number, graceMs: number) {
    this.inactivityGapMs = inactivityGapMs;
    this.graceMs = graceMs;
  }

  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return new SessionWindows(duration('an inactivity gap', inactivityGapMs, 1), 0);
  }

  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(
      duration('an inactivity gap', inactivityGapMs, 1),
      duration('a grace period', graceMs, 0),
    );
  }
}

/**
 * Sliding windows (KIP-450): windows of a fixed `timeDifferenceMs` that move with the records rather than
 * the clock. A record at t ends a window [t - timeDifference, t], and the moment just after it starts one,
 * [t + 1, t + 1 + timeDifference], made once a later record falls in it: so every distinct set of a key's
 * records that fit within the time difference has exactly one window. Both ends are inclusive; windows are
 * keyed by their start in the window store. A window takes records until stream time passes its end plus
 * the grace period; a record for which even the window just after it has closed is dropped and counted.
 */
export class SlidingWindows {
  readonly timeDifferenceMs: number;
  readonly graceMs: number;

  private constructor(timeDifferenceMs: number, graceMs: number) {
    this.timeDifferenceMs = timeDifferenceMs;
    this.graceMs = graceMs;
  }

  /** Windows of `timeDifferenceMs` that take no record after stream time passes their end. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return new SlidingWindows(duration('a time difference', timeDifferenceMs, 1), 0);
  }

  /** Windows of `timeDifferenceMs` that take records up to `graceMs` of stream time after their end. */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(
      duration('a time difference', timeDifferenceMs, 1),
      duration('a grace period', graceMs, 0),
    );
  }
}
