import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../logging/index.js';
import { type BytesStore, LevelDbKeyValueStore } from '../../stores/index.js';
import { StreamsError } from '../errors.js';
import type { StoreBuilder } from '../store-builder.js';

/**
 * The layout of local state: `<state.dir>/<application.id>/<task>/<store>`, one LevelDB per task and store,
 * so a task's state can be dropped, moved and rebuilt on its own.
 */
export class StateDirectory {
  readonly root: string;
  /** When each task folder was last owned (active) here, to clean up those owned elsewhere for long. */
  readonly #lastOwned = new Map<string, number>();

  constructor(stateDir: string, applicationId: string) {
    this.root = resolve(stateDir, applicationId);
  }

  storeDir(task: string, store: string): string {
    return join(this.root, task, store);
  }

  async ensureTaskDir(task: string): Promise<string> {
    const dir = join(this.root, task);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Marks tasks as owned now (they are kept, however long ago their folder changed). */
  owned(tasks: Iterable<string>): void {
    const now = Date.now();
    for (const task of tasks) this.#lastOwned.set(task, now);
  }

  /**
   * Deletes the folders of tasks that this instance has not owned for `delayMs` (their files were kept in
   * case the task came back). A folder never owned in this process counts from its last change on disk.
   * Returns the tasks removed.
   */
  async cleanUp(current: ReadonlySet<string>, delayMs: number): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return [];
    }
    const removed: string[] = [];
    const now = Date.now();
    for (const task of entries) {
      if (current.has(task) || !/^\d+_\d+$/.test(task)) continue;
      const dir = join(this.root, task);
      const since = this.#lastOwned.get(task) ?? (await stat(dir).catch(() => undefined))?.mtimeMs ?? now;
      if (now - since < delayMs) continue;
      await rm(dir, { recursive: true, force: true });
      this.#lastOwned.delete(task);
      removed.push(task);
    }
    return removed;
  }

  /**
   * Opens a task's persistent stores in LevelDB. A store that cannot be opened (corrupt, not a LevelDB) is
   * deleted and opened empty, to be rebuilt from its changelog; one locked by another process is an error.
   */
  async openStores(
    task: string,
    builders: readonly StoreBuilder[],
    logger: Logger,
  ): Promise<Map<string, BytesStore>> {
    const stores = new Map<string, BytesStore>();
    for (const builder of builders) {
      if (!builder.persistent) continue;
      await this.ensureTaskDir(task);
      const location = this.storeDir(task, builder.name);
      try {
        stores.set(builder.name, await LevelDbKeyValueStore.open(location, builder.name));
      } catch (error) {
        if (isLocked(error)) {
          throw new StreamsError(
            'ILLEGAL_STATE',
            `the state of task ${task} in ${location} is in use by another process: give each instance its own stateDir`,
            { cause: error },
          );
        }
        logger.warn(
          `store ${builder.name} of task ${task} cannot be opened (${(error as Error).message}): rebuilding it`,
        );
        await LevelDbKeyValueStore.destroy(location);
        stores.set(builder.name, await LevelDbKeyValueStore.open(location, builder.name));
      }
    }
    return stores;
  }
}

/** LevelDB's LOCK is held: another process (or instance) has the store open. */
function isLocked(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 'LEVEL_LOCKED') return true;
  }
  return false;
}
