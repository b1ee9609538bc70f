import type { Logger } from '../../logging/index.js';
import { describeError } from '../errors.js';

/**
 * How long Kafka has been unavailable to the commits, against taskTimeoutMs: from the first failure until a
 * commit succeeds (a topic deleted for good looks like one not created yet, and must not be waited for
 * forever).
 */
export class TaskTimeout {
  readonly #limitMs: number;
  readonly #logger: Logger;
  #unavailableSince: number | undefined;

  constructor(limitMs: number, logger: Logger) {
    this.#limitMs = limitMs;
    this.#logger = logger;
  }

  /** Counts `error` as a failure for want of Kafka; true, and says so, once the wait is over the limit. */
  exceeded(error: unknown): boolean {
    this.#unavailableSince ??= Date.now();
    const waited = Date.now() - this.#unavailableSince;
    if (waited <= this.#limitMs) return false;
    this.#logger.warn(
      `Kafka has been unavailable for ${Math.round(waited / 1000)} s (taskTimeoutMs): ${describeError(error)}`,
    );
    return true;
  }

  /** A commit succeeded: Kafka is there again. */
  reset(): void {
    this.#unavailableSince = undefined;
  }
}
