import { type BytesReader, LevelDbKeyValueStore } from '../../stores/index.js';
import type { PartitionReader } from '../kafka/partition-reader.js';
import { isTransient, pause } from '../kafka/transient.js';
import type { TaskId } from '../record.js';
import { taskIdString } from '../record.js';
import type { Subtopology } from '../topology.js';
import { ChangelogLag } from './changelog-lag.js';
import { restoreStore } from './restorer.js';

/** Where a standby keeps a store and which changelog it follows. */
export interface StandbyStore {
  readonly name: string;
  readonly location: string;
  readonly changelog: string;
}

/**
 * A warm copy of a task that runs elsewhere: it opens the task's persistent stores and follows their
 * changelogs, writing data and offsets as it goes, so that if the task moves here it restores only the
 * tail. It processes nothing. In-memory stores have no standby: they would be rebuilt from 0 anyway.
 *
 * Its stores can be read while it follows them (`get`, synchronous like every store's): a read sees each
 * changelog record as soon as it is applied, written to disk or not. `lagOf` says how far behind it is.
 */
export class StandbyTask {
  readonly id: TaskId;
  readonly #stores: StandbyStore[];
  readonly #reader: PartitionReader;
  readonly #onRecords: (store: string, count: number) => void;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #open: LevelDbKeyValueStore[] = [];
  readonly #lags = new Map<string, ChangelogLag>();

  constructor(
    id: TaskId,
    stores: StandbyStore[],
    reader: PartitionReader,
    onRecords: (store: string, count: number) => void,
  ) {
    this.id = id;
    this.#stores = stores;
    this.#reader = reader;
    this.#onRecords = onRecords;
    for (const store of stores) this.#lags.set(store.name, new ChangelogLag());
  }

  /** The persistent, logged stores of a sub-topology: what a standby of one of its tasks keeps. */
  static storesOf(
    sub: Subtopology,
    storeDir: (store: string) => string,
    changelog: (store: string) => string,
  ): StandbyStore[] {
    return sub.stores
      .filter((builder) => builder.persistent && builder.logging && !builder.sourceTopic)
      .map((builder) => ({
        name: builder.name,
        location: storeDir(builder.name),
        changelog: changelog(builder.name),
      }));
  }

  get idString(): string {
    return taskIdString(this.id);
  }

  /** The names of the stores this standby keeps. */
  get storeNames(): string[] {
    return this.#stores.map((store) => store.name);
  }

  /**
   * A kept store's raw value of a raw key; undefined when absent, when the standby does not keep the
   * store, or before the store is open.
   */
  get(storeName: string, key: Buffer): Buffer | undefined {
    const index = this.#stores.findIndex((store) => store.name === storeName);
    const store = this.#open[index];
    return store?.isOpen ? store.get(key) : undefined;
  }

  /** A kept store's bytes, for reads a single key cannot answer (a window store's range); undefined before it opens. */
  bytesOf(storeName: string): BytesReader | undefined {
    const store = this.#open[this.#stores.findIndex((s) => s.name === storeName)];
    return store?.isOpen ? store : undefined;
  }

  /** How far a kept store is behind its changelog; undefined lag until the standby has looked up its end. */
  lagOf(storeName: string): ChangelogLag | undefined {
    return this.#lags.get(storeName);
  }

  /**
   * Opens the stores and follows the changelogs until stop(). A broker that is down or moving leaders is
   * waited out; other failures end the standby, quietly: it is a cache.
   */
  start(pollMs = 250): void {
    this.#running = (async () => {
      const signal = this.#abort.signal;
      try {
        for (const store of this.#stores)
          this.#open.push(await LevelDbKeyValueStore.open(store.location, store.name));
        while (!signal.aborted) {
          try {
            await this.#follow(signal);
          } catch (error) {
            // A broker restarting or moving leaders: follow again once it answers. Anything else ends it.
            if (signal.aborted || !isTransient(error)) throw error;
            for (const lag of this.#lags.values()) lag.forget();
            await pause(1_000, signal);
            continue;
          }
          await pause(pollMs, signal);
        }
      } catch {
        // Stopped, or the changelog could not be read: the active task restores whatever is missing.
      } finally {
        // No longer following: a lag seen earlier would claim the copy is still current.
        for (const lag of this.#lags.values()) lag.forget();
      }
    })();
  }

  /** Brings every kept store up to its changelog's end once. */
  async #follow(signal: AbortSignal): Promise<void> {
    for (const [i, store] of this.#stores.entries()) {
      let counted = 0;
      await restoreStore({
        reader: this.#reader,
        store: this.#open[i] as LevelDbKeyValueStore,
        storeName: store.name,
        topic: store.changelog,
        partition: this.id.partition,
        signal,
        onProgress: (progress) => {
          this.#lags.get(store.name)?.observe(progress);
          this.#onRecords(store.name, progress.restored - counted);
          counted = progress.restored;
        },
      });
    }
  }

  /** Stops following and closes the stores (their files stay, for the active task to open). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    for (const store of this.#open) await store.close();
    this.#open = [];
  }
}
