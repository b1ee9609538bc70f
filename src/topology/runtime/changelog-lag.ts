import type { RestoreProgress } from './restorer.js';

/**
 * How far a local copy of a store (a restoring task's, a standby's) is behind its changelog, as its restore
 * or standby loop last saw it: no query asks the broker. The end offset is the one the loop looked up when
 * its current read began (a standby looks again at every poll), so the lag is as of that lookup.
 */
export class ChangelogLag {
  #end: bigint | undefined;
  #position: bigint | undefined;
  #caughtUp = false;

  /** Takes the end offset and position a restore reported. */
  observe(progress: Pick<RestoreProgress, 'to' | 'position'>): void {
    this.#end = progress.to;
    this.#position = progress.position;
    if (progress.position >= progress.to) this.#caughtUp = true;
  }

  /** The copy no longer follows its changelog (its loop ended): its lag is unknown again. */
  forget(): void {
    this.#end = undefined;
    this.#position = undefined;
    this.#caughtUp = false;
  }

  /** Changelog records not yet applied (end offset - position); undefined before the first end lookup. */
  get lag(): number | undefined {
    if (this.#end === undefined || this.#position === undefined) return undefined;
    return this.#end > this.#position ? Number(this.#end - this.#position) : 0;
  }

  /** True once the copy has reached its changelog's end (since it started following it). */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }
}
