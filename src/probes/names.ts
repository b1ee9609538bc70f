import type { DeviceRecord } from './schemas.js';

/**
 * Device names as people type them: a lookup ignores case, accents and repeated blanks, and a lookup that
 * finds nothing can offer the closest names. Pure functions and one immutable index, without I/O.
 */

/** The longest device name accepted from a person (the by-name route's limit too). */
export const MAX_NAME_LENGTH = 256;

/** `Café  Wi-Fi` → `cafe wi-fi`: compatibility-decomposed, marks dropped, lower case, blanks collapsed. */
export function foldName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Why a name cannot be set, or undefined when it can: 1 to 256 characters, not blank, no control characters. */
export function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'a device name cannot be empty or blank';
  if ([...name].length > MAX_NAME_LENGTH) return `a device name is at most ${MAX_NAME_LENGTH} characters`;
  if (/[\p{Cc}\p{Cs}]/u.test(name))
    return 'a device name cannot hold control characters (such as line breaks)';
  return undefined;
}

/** One known name with the MACs of the devices that carry it. */
export interface NamedDevices {
  readonly name: string;
  readonly macs: readonly string[];
}

interface Entry extends NamedDevices {
  readonly folded: string;
}

/** How far apart two texts are: insertions, deletions and substitutions (Levenshtein), capped at `max + 1`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      current.push(value);
      best = Math.min(best, value);
    }
    if (best > max) return max + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

/** The names of a devices table, sorted by their folded form (then as written), for listings and lookups. */
export class NameIndex {
  readonly #entries: readonly Entry[];

  constructor(devices: Iterable<DeviceRecord>) {
    const byName = new Map<string, string[]>();
    for (const device of devices) {
      if (device.name === null || device.name.trim() === '') continue;
      const macs = byName.get(device.name) ?? [];
      macs.push(device.mac);
      byName.set(device.name, macs);
    }
    this.#entries = [...byName]
      .map(([name, macs]) => ({ name, macs: macs.sort(), folded: foldName(name) }))
      .sort((a, b) => (a.folded === b.folded ? compare(a.name, b.name) : compare(a.folded, b.folded)));
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * The names that start with `prefix` (folded), in order, after the name `after` when given, at most
   * `limit`; `more` says whether others follow.
   */
  list(prefix: string, limit: number, after?: string): { names: NamedDevices[]; more: boolean } {
    const folded = foldName(prefix);
    let matching = this.#entries.filter((entry) => entry.folded.startsWith(folded));
    if (after !== undefined) {
      const position = matching.findIndex((entry) => entry.name === after);
      matching =
        position < 0
          ? matching.filter((entry) => entry.folded > foldName(after))
          : matching.slice(position + 1);
    }
    return { names: matching.slice(0, limit).map(view), more: matching.length > limit };
  }

  /** The names that read as `query` once folded: usually one, the spelling the table has. */
  resolve(query: string): NamedDevices[] {
    const folded = foldName(query);
    return this.#entries.filter((entry) => entry.folded === folded).map(view);
  }

  /**
   * Up to `limit` names close to `query`: those that start with it first, then those that hold it, then those
   * a few typing mistakes away (at most a third of the query's length, and at least 1), closest first.
   */
  suggest(query: string, limit = 5): NamedDevices[] {
    const folded = foldName(query);
    if (folded === '') return [];
    const budget = Math.max(1, Math.floor(folded.length / 3));
    const scored: { entry: Entry; score: number }[] = [];
    for (const entry of this.#entries) {
      if (entry.folded.startsWith(folded) || folded.startsWith(entry.folded))
        scored.push({ entry, score: 0 });
      else if (entry.folded.includes(folded)) scored.push({ entry, score: 1 });
      else {
        // Against the whole name, and against its start (as long as the query, give or take the budget), so
        // that `samsng a53` finds `Samsung A53 (Galaxy-A53)`.
        let apart = distance(folded, entry.folded, budget);
        for (let length = folded.length - budget; length <= folded.length + budget; length++) {
          if (length > 0 && length < entry.folded.length) {
            apart = Math.min(apart, distance(folded, entry.folded.slice(0, length), budget));
          }
        }
        if (apart <= budget) scored.push({ entry, score: 1 + apart });
      }
    }
    return scored
      .sort((a, b) => a.score - b.score || compare(a.entry.folded, b.entry.folded))
      .slice(0, limit)
      .map(({ entry }) => view(entry));
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const view = (entry: Entry): NamedDevices => ({ name: entry.name, macs: entry.macs });
