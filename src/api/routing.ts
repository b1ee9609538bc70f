import type { EntryFilter } from './filtered-entries.js';

/**
 * Routing an interactive query to the copy of the data that can answer it: this instance's active task, the
 * instance that owns the key's partition (forwarded over HTTP), or a caught-up standby (answer marked stale)
 * — or, when none can answer now, a 503 with Retry-After. Never a wrong answer, never a hang.
 */

/** What a routed key lookup found. */
export interface RoutedAnswer<V> {
  /** undefined: the key is not in the store (a 404 for the route). */
  readonly value: V | undefined;
  /** host:port (application.server) of the instance that answered; the `X-Probestream-Served-By` header. */
  readonly servedBy: string;
  /** Set when a standby or restoring copy answered: changelog records it is behind; `X-Probestream-Stale-Lag`. */
  readonly staleLag?: number;
}

/** One page of a store's entries gathered from every instance, sorted by key (UTF-8 byte order). */
export interface RoutedPage<V> {
  readonly entries: readonly { readonly key: string; readonly value: V }[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/** How the API's routes read stores; implemented by `StoreRouter` (router.ts). */
export interface KeyRouter {
  /** host:port other instances reach this one at. */
  readonly self: string;
  /**
   * Reads `key` of `store` wherever it lives. Throws ApiError SERVICE_UNAVAILABLE (503, with
   * retryAfterSeconds) when no copy can answer now; ApiError UPSTREAM_FAILED (502) is never thrown for a key
   * that another copy could answer.
   */
  get<V>(store: string, key: string): Promise<RoutedAnswer<V>>;
  /**
   * Entries of `store` with keys after `after` (exclusive), at most `limit`, from all instances. With a
   * `filter`, only the entries it keeps, each instance filtering its own (see filtered-entries.ts); a router
   * that does not know the filter may return others too, so the caller filters what it gets again.
   */
  page<V>(
    store: string,
    options: { readonly limit: number; readonly after?: string; readonly filter?: EntryFilter },
  ): Promise<RoutedPage<V>>;
}
