import type { RecordMetadata } from '../record.js';
import type { RawRecord } from './source-record.js';

/** A forward held until the task flushes: the latest of its node and id, with the record that caused it. */
export interface DeferredForward {
  readonly source: RecordMetadata;
  readonly raw: RawRecord;
  readonly forward: () => void;
}

/**
 * The updates KTable aggregations hold back until their task flushes, as Kafka Streams' record caches do:
 * of a node's updates to one key, only the latest goes downstream, at the commit. The buffers are bounded by
 * the caches themselves: a key held here is dirty in its store's cache, and the engine commits (flushes)
 * when the caches outgrow `cacheMaxBytes`.
 */
export class DeferredForwards {
  /** Per node, in topological order (a node is registered before its children), its held forwards by id. */
  readonly #byNode = new Map<string, Map<string, DeferredForward>>();
  #held = 0;

  /** Registers a node; call in topological order. */
  register(node: string): void {
    if (!this.#byNode.has(node)) this.#byNode.set(node, new Map());
  }

  hold(node: string, id: string, forward: DeferredForward): void {
    const held = this.#byNode.get(node);
    if (!held) throw new Error(`node ${node} forwards at flush but was never registered: a bug`);
    // Deleted first so that a key's place is its latest update's, as a cache's eviction order is.
    if (held.delete(id)) this.#held -= 1;
    held.set(id, forward);
    this.#held += 1;
  }

  get size(): number {
    return this.#held;
  }

  /**
   * Runs every held forward, upstream nodes first, so that what a forward makes a downstream node hold is
   * run in the same pass; repeats until nothing is held.
   */
  drain(run: (forward: DeferredForward) => void): void {
    while (this.#held > 0) {
      for (const held of this.#byNode.values()) {
        if (held.size === 0) continue;
        const due = [...held.values()];
        this.#held -= held.size;
        held.clear();
        for (const forward of due) run(forward);
      }
    }
  }

  /** Drops everything held: the task goes back to its last commit. */
  clear(): void {
    for (const held of this.#byNode.values()) held.clear();
    this.#held = 0;
  }
}
