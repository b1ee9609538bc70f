import type { ProbeStats } from '../probes/schemas.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ApiError } from './errors.js';
import type { EntryFilter, EntryFilterFactory } from './filtered-entries.js';
import type { KeyRouter } from './routing.js';

/** The filters and order of `GET /devices`. */
export interface DeviceListQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Only devices that probed for this SSID (exactly). */
  readonly ssid?: string;
  /** Only devices whose name holds this text (case and accents ignored). */
  readonly name?: string;
  /** Only devices heard from at or after this time (ISO-8601 or epoch ms). */
  readonly since?: string;
  /** By MAC (the default), by last probe or by probe count; ties by MAC. */
  readonly sort?: 'mac' | 'lastProbe' | 'probeCount';
  readonly order?: 'asc' | 'desc';
}

export interface ListedDevice {
  readonly mac: string;
  readonly stats: ProbeStats;
}

/** Entries read from every instance for one listing at most: a filtered or sorted listing reads the whole store. */
export const MAX_LISTING_SCAN = 200_000;
const PAGE = 5000;

const fold = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** Reads `since` as ISO-8601 or epoch ms; ApiError INVALID_REQUEST otherwise. */
export function parseSince(since: string): number {
  const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (!Number.isSafeInteger(ms)) {
    throw new ApiError(
      'INVALID_REQUEST',
      'since is a time: ISO-8601 (2020-04-22T14:05:40Z) or epoch milliseconds',
    );
  }
  return ms;
}

/**
 * One page of `GET /devices`, filtered and sorted across instances. By MAC, it reads pages of the store in
 * key order until the page is full; sorted otherwise, it reads every device (at most MAX_LISTING_SCAN) and
 * sorts them. Either way the cursor names the last device returned (with its sort value), so the next page
 * starts after it whatever changed in between.
 */
export async function listDevices(
  router: KeyRouter,
  store: string,
  nameOf: (mac: string) => string | null,
  query: DeviceListQuery,
): Promise<{ devices: ListedDevice[]; nextCursor: string | null }> {
  const args: Record<string, string> = {};
  for (const field of ['ssid', 'name', 'since'] as const) {
    const value = query[field];
    if (value !== undefined) args[field] = value;
  }
  const wanted = devicePredicate(nameOf, args);
  const sort = query.sort ?? 'mac';
  const descending = query.order === 'desc';
  const filter = Object.keys(args).length > 0 ? { name: DEVICE_FILTER, args } : undefined;
  if (sort === 'mac' && !descending) return byMac(router, store, query, filter && { filter, wanted });
  const position = query.cursor === undefined ? undefined : sortedCursor(query.cursor);
  const value = (device: ListedDevice) =>
    sort === 'lastProbe' ? device.stats.lastProbe : sort === 'probeCount' ? device.stats.probeCount : 0;
  const compare = (a: { value: number; mac: string }, b: { value: number; mac: string }) => {
    const byValue = descending ? b.value - a.value : a.value - b.value;
    // Ties by MAC, ascending; a MAC listing in descending order has only MACs to compare.
    const byMac = a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0;
    return byValue || (sort === 'mac' && descending ? -byMac : byMac);
  };
  const all: (ListedDevice & { value: number })[] = [];
  for await (const device of everyDevice(router, store)) {
    if (wanted(device)) all.push({ ...device, value: value(device) });
  }
  all.sort(compare);
  const start = position === undefined ? 0 : all.findIndex((d) => compare(d, position) > 0);
  const page = start < 0 ? [] : all.slice(start, start + query.limit);
  const last = page.at(-1);
  const more = start >= 0 && start + query.limit < all.length;
  return {
    devices: page.map(({ mac, stats }) => ({ mac, stats })),
    nextCursor: more && last ? encodeCursor(JSON.stringify([last.value, last.mac])) : null,
  };
}

async function byMac(
  router: KeyRouter,
  store: string,
  query: DeviceListQuery,
  filtered: { filter: EntryFilter; wanted: (device: ListedDevice) => boolean } | undefined,
): Promise<{ devices: ListedDevice[]; nextCursor: string | null }> {
  // A page of the store is the page asked for: filtered, each instance keeps only its devices that match (a
  // router that cannot filter sends others too, which are dropped here, and more pages are read).
  const limit = query.limit;
  let after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const devices: ListedDevice[] = [];
  let read = 0;
  for (;;) {
    const page = await router.page<ProbeStats>(store, {
      limit,
      ...(after === undefined ? {} : { after }),
      ...(filtered === undefined ? {} : { filter: filtered.filter }),
    });
    for (const { key, value } of page.entries) {
      read++;
      if (filtered !== undefined && !filtered.wanted({ mac: key, stats: value })) continue;
      devices.push({ mac: key, stats: value });
      if (devices.length === query.limit) {
        // More may follow: this page, or the next ones.
        const more = page.next !== null || key !== page.entries.at(-1)?.key;
        return { devices, nextCursor: more ? encodeCursor(key) : null };
      }
    }
    if (page.next === null || read >= MAX_LISTING_SCAN) {
      // Past the scan bound, the page ends where the reading stopped; the cursor goes on from there.
      return { devices, nextCursor: page.next === null ? null : encodeCursor(page.next) };
    }
    after = page.next;
  }
}

/** The name of the listing's filter, run by every instance over its own devices (filtered-entries.ts). */
export const DEVICE_FILTER = 'devices';

/**
 * Whether a device passes the listing's filters (`ssid`, `name`, `since`; any absent passes): the same on the
 * instance asked and, as the DEVICE_FILTER, on every instance over its own devices.
 */
function devicePredicate(
  nameOf: (mac: string) => string | null,
  args: Readonly<Record<string, string>>,
): (device: ListedDevice) => boolean {
  const { ssid } = args;
  const since = args.since === undefined ? undefined : parseSince(args.since);
  const name = args.name === undefined ? undefined : fold(args.name);
  return ({ mac, stats }) =>
    (ssid === undefined || stats.ssidsProbed.includes(ssid)) &&
    (since === undefined || stats.lastProbe >= since) &&
    (name === undefined || fold(nameOf(mac) ?? '').includes(name));
}

/** DEVICE_FILTER for `StoreRouter.defineFilter`. */
export function deviceFilter(nameOf: (mac: string) => string | null): EntryFilterFactory {
  return (args) => {
    const wanted = devicePredicate(nameOf, args);
    return (mac, stats) => wanted({ mac, stats: stats as ProbeStats });
  };
}

async function* everyDevice(router: KeyRouter, store: string): AsyncIterable<ListedDevice> {
  let after: string | undefined;
  let read = 0;
  for (;;) {
    const page = await router.page<ProbeStats>(
      store,
      after === undefined ? { limit: PAGE } : { limit: PAGE, after },
    );
    for (const { key, value } of page.entries) yield { mac: key, stats: value };
    read += page.entries.length;
    if (page.next === null) return;
    if (read >= MAX_LISTING_SCAN) {
      throw new ApiError(
        'INVALID_REQUEST',
        `a sorted listing reads at most ${MAX_LISTING_SCAN} devices; filter by ssid, name or since, or sort by MAC`,
      );
    }
    after = page.next;
  }
}

function sortedCursor(cursor: string): { value: number; mac: string } {
  const invalid = () => new ApiError('INVALID_CURSOR', 'the cursor is not one this API returned');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'number' ||
    typeof parsed[1] !== 'string'
  )
    throw invalid();
  return { value: parsed[0], mac: parsed[1] };
}
