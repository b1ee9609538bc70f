import { setImmediate } from 'node:timers/promises';
import type { ActiveEntriesSource, StreamsEngine } from '../topology/index.js';
import { ApiError } from './errors.js';

/**
 * Filtered listings run where the data lives: the instance asked names a filter that every instance knows
 * (defined by the API's routes, e.g. `GET /devices?ssid=`) with plain arguments, and each instance answers
 * with the first entries of its own data that the filter keeps — so a listing of the few devices that probed
 * an SSID reads the whole store on each instance at once, not page by page across the network. A filter is a
 * name and strings, never code.
 */
export interface EntryFilter {
  /** A name given to `StoreRouter.defineFilter` on every instance. */
  readonly name: string;
  readonly args: Readonly<Record<string, string>>;
}

/** Makes a filter's predicate from its arguments; throws ApiError INVALID_REQUEST for arguments it refuses. */
export type EntryFilterFactory = (
  args: Readonly<Record<string, string>>,
) => (key: string, value: unknown) => boolean;

/** The partitions a part of a listing or scan read: null when the engine cannot say. */
export interface Coverage {
  readonly partitions: readonly number[] | null;
  readonly partitionCount: number | null;
}

/** What a filtered part reads of the engine. */
export type FilteredSource = Pick<StreamsEngine, 'localEntries'> & Partial<ActiveEntriesSource>;

const ENTRIES_PER_TURN = 4096;

const byUtf8 = (a: { bytes: Buffer }, b: { bytes: Buffer }) => Buffer.compare(a.bytes, b.bytes);

/**
 * This instance's part of a filtered listing: its first `limit` entries after `after` (UTF-8 key order) that
 * `keep` keeps, whether it holds more, and the partitions read. From the engine's active copies at once when
 * it can hand them over, else from its sorted entries.
 */
export async function filteredLocalPart(
  streams: FilteredSource,
  store: string,
  keep: (key: string, value: unknown) => boolean,
  limit: number,
  after: string | undefined,
): Promise<{ entries: { key: string; value: unknown }[]; more: boolean } & Coverage> {
  const afterBytes = after === undefined ? undefined : Buffer.from(after);
  const active = streams.activeEntries?.<string, unknown>(store);
  if (active !== undefined) {
    const found: { entry: { key: string; value: unknown }; bytes: Buffer }[] = [];
    let read = 0;
    for (const entry of active.entries) {
      // A turn for the event loop now and then: the key lookups that come meanwhile are not held up.
      if (++read % ENTRIES_PER_TURN === 0) await setImmediate();
      if (!keep(entry.key, entry.value)) continue;
      const bytes = Buffer.from(entry.key);
      if (afterBytes === undefined || Buffer.compare(bytes, afterBytes) > 0) found.push({ entry, bytes });
    }
    found.sort(byUtf8);
    const entries = found.slice(0, limit).map(({ entry }) => entry);
    const { partitions, partitionCount } = active;
    return { entries, more: found.length > limit, partitions, partitionCount };
  }
  const entries: { key: string; value: unknown }[] = [];
  for await (const entry of streams.localEntries<string, unknown>(
    store,
    after === undefined ? {} : { from: after },
  )) {
    if (entry.key === after || !keep(entry.key, entry.value)) continue;
    if (entries.length === limit) return { entries, more: true, partitions: null, partitionCount: null };
    entries.push(entry);
  }
  return { entries, more: false, partitions: null, partitionCount: null };
}

/**
 * Throws ApiError SERVICE_UNAVAILABLE unless the parts read each partition once, when they all say which: a
 * rebalance between two instances' answers would make a listing or scan miss or repeat entries.
 */
export function checkCoverage(parts: readonly Coverage[], what: string): void {
  const counts = new Set(parts.map((part) => part.partitionCount));
  if (counts.has(null) || counts.size !== 1 || parts.some((part) => part.partitions === null)) return;
  const count = [...counts][0] as number;
  const seen = new Set<number>();
  let read = 0;
  for (const part of parts)
    for (const partition of part.partitions ?? []) {
      seen.add(partition);
      read++;
    }
  if (seen.size !== count || read !== count)
    throw new ApiError(
      'SERVICE_UNAVAILABLE',
      `the partitions of ${what} are moving between instances; try again shortly`,
      {
        retryAfterSeconds: 1,
      },
    );
}

/** A filter as it travels in the internal route's query: JSON, checked on the way in. */
export function parseEntryFilter(text: string): EntryFilter {
  const invalid = () => new ApiError('INVALID_REQUEST', 'filter is {"name": "…", "args": {"…": "…"}}');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid();
  }
  const { name, args } = (parsed ?? {}) as { name?: unknown; args?: unknown };
  if (typeof name !== 'string' || typeof args !== 'object' || args === null || Array.isArray(args))
    throw invalid();
  if (!Object.values(args).every((value) => typeof value === 'string')) throw invalid();
  return { name, args: args as Record<string, string> };
}
