import type { Cancellable, PunctuationType, Punctuator } from '../processor.js';

interface Schedule {
  readonly type: PunctuationType;
  readonly intervalMs: number;
  readonly callback: Punctuator;
  /** The time at which it is next due. */
  next: number;
  cancelled: boolean;
}

/**
 * A task's clocks: its stream time (the largest timestamp of the records it has processed, as Kafka
 * Streams' partition time) and the punctuators its processors scheduled on it or on the wall clock.
 *
 * A commit keeps the stream time and the punctuators' next times; going back to the last commit (a
 * rebalance, a failed commit) restores them, so that records processed again see the time they saw then
 * and punctuations whose output was dropped run again.
 */
export class TaskTime {
  #streamTime = -1;
  #committedStreamTime = -1;
  readonly #schedules: Schedule[] = [];
  #committedNext: number[] = [];
  #punctuating = false;

  get streamTime(): number {
    return this.#streamTime;
  }

  /**
   * Stream-time punctuators first run with the first record and then every `intervalMs` of stream time,
   * aligned on multiples of it from 0; wall-clock ones every `intervalMs` from now. A punctuation that
   * stream time (or a stalled wall clock) jumped over is not made up: the next one is the first due after.
   */
  schedule(intervalMs: number, type: PunctuationType, callback: Punctuator, now: number): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1)
      throw new TypeError(`a punctuation interval must be a whole number of ms >= 1: ${String(intervalMs)}`);
    if (type !== 'stream-time' && type !== 'wall-clock-time')
      throw new TypeError(`a punctuation type is 'stream-time' or 'wall-clock-time': ${String(type)}`);
    if (typeof callback !== 'function') throw new TypeError('a punctuator must be a function');
    const schedule: Schedule = {
      type,
      intervalMs,
      callback,
      next: type === 'stream-time' ? 0 : now + intervalMs,
      cancelled: false,
    };
    this.#schedules.push(schedule);
    this.#committedNext.push(schedule.next);
    return {
      cancel: () => {
        schedule.cancelled = true;
      },
    };
  }

  /** A record of `timestamp` was processed: stream time moves on, and stream-time punctuators due run. */
  observe(timestamp: number): void {
    if (timestamp <= this.#streamTime) return;
    this.#streamTime = timestamp;
    this.#run('stream-time', timestamp);
  }

  /** Runs the wall-clock punctuators due at `now`. */
  wallClock(now: number): void {
    this.#run('wall-clock-time', now);
  }

  #run(type: PunctuationType, now: number): void {
    // A punctuator that forwards records may move no clock, but guard anyway against it re-entering.
    if (this.#punctuating) return;
    this.#punctuating = true;
    try {
      for (const schedule of this.#schedules) {
        if (schedule.cancelled || schedule.type !== type || now < schedule.next) continue;
        const missed = Math.floor((now - schedule.next) / schedule.intervalMs);
        schedule.next += (missed + 1) * schedule.intervalMs;
        schedule.callback(now);
      }
    } finally {
      this.#punctuating = false;
    }
  }

  /** What a commit keeps. */
  commit(): void {
    this.#committedStreamTime = this.#streamTime;
    this.#committedNext = this.#schedules.map((s) => s.next);
  }

  /** Back to the last commit. */
  rollback(): void {
    this.#streamTime = this.#committedStreamTime;
    this.#schedules.forEach((schedule, i) => {
      schedule.next = this.#committedNext[i] ?? schedule.next;
    });
  }
}
