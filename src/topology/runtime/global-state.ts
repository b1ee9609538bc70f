import type { Kafka } from 'kafkajs';
import type { Logger } from '../../logging/index.js';
import type { ReadOnlyKeyValueStore } from '../../stores/index.js';
import { describeError } from '../errors.js';
import { GlobalStore, type GlobalStoreSpec } from '../global-store.js';
import { PartitionReader } from '../kafka/partition-reader.js';
import { isTransient, pause } from '../kafka/transient.js';

/**
 * The global stores of one instance (Kafka Streams' GlobalStreamThread): `bootstrap` reads every partition
 * of each global topic to its end before the instance takes tasks, so a task never looks up a table still
 * loading; `start` then follows the topics until `stop`. A broker that is down is waited out.
 */
export class GlobalStateManager {
  readonly #stores: { readonly store: GlobalStore; readonly positions: bigint[] }[];
  readonly #reader: PartitionReader;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;

  readonly #logger: Logger;

  /** `kafka`: the reader of the global topics is one of its own (restores and standbys never share it). */
  constructor(
    specs: readonly GlobalStoreSpec[],
    partitions: (topic: string) => number,
    kafka: Kafka,
    logger: Logger,
  ) {
    this.#reader = new PartitionReader(kafka, { isolation: 'read_committed' });
    this.#logger = logger;
    this.#stores = specs.map((spec) => ({
      store: new GlobalStore(spec),
      positions: new Array<bigint>(partitions(spec.topic)).fill(0n),
    }));
  }

  get size(): number {
    return this.#stores.length;
  }

  /** A global store as processors read it; undefined when there is none of that name. */
  store(name: string): ReadOnlyKeyValueStore<unknown, unknown> | undefined {
    return this.#stores.find(({ store }) => store.spec.name === name)?.store.view;
  }

  /** Connects, reads every global topic to the end it has now, then follows them (start). */
  async open(): Promise<void> {
    await this.#reader.connect();
    await this.#catchUp(this.#abort.signal);
    this.start();
  }

  /** Follows the global topics, every `pollMs`, until stop(). */
  start(pollMs = 250): void {
    if (this.#stores.length === 0 || this.#running) return;
    const signal = this.#abort.signal;
    this.#running = (async () => {
      let lastLog = 0;
      while (!signal.aborted) {
        try {
          await this.#catchUp(signal);
          await pause(pollMs, signal);
        } catch (error) {
          if (signal.aborted) return;
          // Kafka unavailable is waited out quietly; anything else is said (at most every 10 s), and the
          // reading goes on: a follower that stopped would leave every lookup stale without a word.
          if (!isTransient(error) && Date.now() - lastLog >= 10_000) {
            lastLog = Date.now();
            this.#logger.error(`global stores: cannot follow their topics: ${describeError(error)}`);
          }
          await pause(1_000, signal);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
    for (const { store } of this.#stores) await store.close();
    await this.#reader.disconnect().catch(() => undefined);
  }

  async #catchUp(signal: AbortSignal): Promise<void> {
    for (const { store, positions } of this.#stores) {
      const { topic } = store.spec;
      for (const [partition, from] of positions.entries()) {
        const end = await this.#reader.endOffset(topic, partition);
        // The topic was deleted and made again: read it anew (what the store held is rewritten as it comes).
        const start = from > end ? 0n : from;
        positions[partition] = await this.#reader.read(
          topic,
          partition,
          start,
          end,
          (records) => {
            for (const record of records) store.apply(record.key, record.value);
          },
          { signal },
        );
      }
    }
  }
}
