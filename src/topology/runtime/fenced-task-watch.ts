/**
 * Watches tasks closed because their producer was fenced. Their partitions stay assigned here, paused, until
 * the group's next rebalance says who owns them now. That rebalance may never come: the producer that fenced
 * them can belong to an instance that had not yet learned of the generation giving the tasks back here (an
 * instance killed and restarted while the group moved twice), and it closes them as soon as it learns. Kafka
 * Streams rejoins the group on a TaskMigratedException; kafkajs offers no rejoin, so when no assignment comes
 * within `waitMs` the thread opens the tasks again itself (their new producers fence any true zombie).
 */
export class FencedTaskWatch {
  readonly #waitMs: number;
  readonly #reopen: () => void;
  #assignments = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(waitMs: number, reopen: () => void) {
    this.#waitMs = waitMs;
    this.#reopen = reopen;
  }

  /** Fenced tasks were closed: unless an assignment comes first, they are reopened after the wait. */
  fenced(): void {
    if (this.#timer !== undefined) return;
    const seen = this.#assignments;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#assignments === seen) this.#reopen();
    }, this.#waitMs);
    this.#timer.unref();
  }

  /** An assignment took effect: it settles every fenced task. */
  assigned(): void {
    this.#assignments += 1;
    this.close();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
