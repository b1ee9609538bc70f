import type { Admin } from 'kafkajs';

/**
 * Deletes what the application has consumed and committed from its repartition topics. Those topics keep
 * records forever (retention.ms = -1), so that records whose event time is old — a replayed capture —
 * are not deleted by time before the next sub-topology reads them; this keeps them from growing without
 * bound instead, as Kafka Streams' repartition.purge.interval.ms does.
 */
export class RepartitionPurger {
  readonly #admin: () => Admin | undefined;
  readonly #isRepartition: (topic: string) => boolean;
  readonly #intervalMs: number;
  readonly #pending = new Map<string, Map<number, string>>();
  #lastPurge = Date.now();
  #running: Promise<void> | undefined;

  constructor(
    admin: () => Admin | undefined,
    isRepartition: (topic: string) => boolean,
    intervalMs = 30_000,
  ) {
    this.#admin = admin;
    this.#isRepartition = isRepartition;
    this.#intervalMs = intervalMs;
  }

  /** Notes committed offsets (the next offset to read) and purges when the interval has passed. */
  committed(offsets: readonly { topic: string; partition: number; offset: string }[]): void {
    for (const { topic, partition, offset } of offsets) {
      if (!this.#isRepartition(topic)) continue;
      let partitions = this.#pending.get(topic);
      if (!partitions) {
        partitions = new Map();
        this.#pending.set(topic, partitions);
      }
      const before = partitions.get(partition);
      if (before === undefined || BigInt(offset) > BigInt(before)) partitions.set(partition, offset);
    }
    if (this.#running || this.#pending.size === 0 || Date.now() - this.#lastPurge < this.#intervalMs) return;
    this.#lastPurge = Date.now();
    this.#running = this.#purge().finally(() => {
      this.#running = undefined;
    });
  }

  /** Waits for a purge in progress (at close). */
  async settle(): Promise<void> {
    await this.#running;
  }

  async #purge(): Promise<void> {
    const admin = this.#admin();
    if (!admin) return;
    const work = [...this.#pending].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })),
    }));
    this.#pending.clear();
    for (const request of work) {
      // A failure (a rebalance moved the partition, the broker is busy) is retried at the next interval.
      await admin.deleteTopicRecords(request).catch(() => undefined);
    }
  }
}
