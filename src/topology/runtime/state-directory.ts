import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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
}
