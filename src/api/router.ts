import type {
  ActiveEntriesSource,
  KeyQueryMetadata,
  LocalQueryResult,
  StreamsEngine,
} from '../topology/index.js';
import { ApiError } from './errors.js';
import {
  type Coverage,
  checkCoverage,
  type EntryFilter,
  type EntryFilterFactory,
  filteredLocalPart,
} from './filtered-entries.js';
import type { KeyRouter, RoutedAnswer, RoutedPage } from './routing.js';

/** What the router needs of a running engine: its interactive-query surface. */
export type QueryableStreams = Pick<
  StreamsEngine,
  'queryLocal' | 'queryMetadataForKey' | 'metadataForAllStreamsClients' | 'localEntries'
> &
  Partial<Pick<StreamsEngine, 'isGlobalStore'>> &
  Partial<ActiveEntriesSource>;

export interface StoreRouterOptions {
  readonly streams: QueryableStreams;
  /** This instance's application.server (host:port). */
  readonly self: string;
  /** How long a forwarded request may take, in ms. Default 2,000. */
  readonly timeoutMs?: number;
  /** A standby (or restoring) copy answers only when at most this many records behind. Default 10,000. */
  readonly maxStaleLag?: number;
  /** Seconds a 503 asks clients to wait. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Whether every active task here is restored: this instance's part of a page is complete only then. */
  readonly isReady: () => boolean;
}

/** The body of the internal key route: what one instance holds for a key. */
export interface InternalKeyAnswer {
  readonly found: boolean;
  readonly value?: unknown;
  /** Present when the answer came from a standby or restoring copy. */
  readonly lag?: number;
}

/** The body of the internal entries route: one instance's sorted entries after a key. */
export interface InternalEntries extends Partial<Coverage> {
  readonly entries: readonly { readonly key: string; readonly value: unknown }[];
  /** Whether this instance holds more entries after the last one returned. */
  readonly more: boolean;
}

type PageOptions = { readonly limit: number; readonly after?: string; readonly filter?: EntryFilter };

/** Internal routes, served by every instance to the others; never forwarded again. */
export const INTERNAL_PREFIX = '/internal/stores';

/** Entries in UTF-8 byte order of their keys (each key encoded once: pages of thousands are sorted). */
function byUtf8Key<E extends { readonly key: string }>(entries: readonly E[]): E[] {
  const keyed = entries.map((entry) => ({ entry, bytes: Buffer.from(entry.key) }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map(({ entry }) => entry);
}

/**
 * Routes interactive queries (see routing.ts): the local active copy first; then the owning instance over
 * HTTP; then a caught-up standby (here or elsewhere), its lag stated; else SERVICE_UNAVAILABLE with
 * Retry-After. Forwarded requests have a timeout, so a dead instance costs at most `timeoutMs`.
 */
export class StoreRouter implements KeyRouter {
  readonly self: string;
  readonly #streams: QueryableStreams;
  readonly #timeoutMs: number;
  readonly #maxStaleLag: number;
  readonly #retryAfter: number;
  readonly #isReady: () => boolean;
  readonly #filters = new Map<string, EntryFilterFactory>();

  constructor(options: StoreRouterOptions) {
    this.self = options.self;
    this.#streams = options.streams;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#maxStaleLag = options.maxStaleLag ?? 10_000;
    this.#retryAfter = options.retryAfterSeconds ?? 1;
    this.#isReady = options.isReady;
  }

  #unavailable(why: string): ApiError {
    return new ApiError('SERVICE_UNAVAILABLE', `${why}; try again shortly`, {
      retryAfterSeconds: this.#retryAfter,
    });
  }

  /** What this instance can answer for a key on its own (the internal route's answer). */
  async local<V>(store: string, key: string, allowStale: boolean): Promise<InternalKeyAnswer | undefined> {
    const answer = await this.#queryLocal<V>(store, key);
    if (answer.kind === 'active') return { found: answer.value !== undefined, value: answer.value };
    if (allowStale && answer.kind === 'stale' && answer.lag <= this.#maxStaleLag) {
      return { found: answer.value !== undefined, value: answer.value, lag: answer.lag };
    }
    return undefined;
  }

  async #queryLocal<V>(store: string, key: string): Promise<LocalQueryResult<V>> {
    try {
      return await this.#streams.queryLocal<string, V>(store, key, { includeStale: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'INVALID_STATE_STORE') throw this.#unavailable('not running');
      throw error;
    }
  }

  async get<V>(store: string, key: string): Promise<RoutedAnswer<V>> {
    const local = await this.#queryLocal<V>(store, key);
    if (local.kind === 'active') return { value: local.value, servedBy: this.self };
    let meta: KeyQueryMetadata | undefined;
    try {
      meta = this.#streams.queryMetadataForKey(store, key);
    } catch {
      meta = undefined;
    }
    if (meta?.activeHost && meta.activeHost !== this.self) {
      const answer = await this.#forward(meta.activeHost, store, key, false);
      if (answer) return toRouted<V>(answer, meta.activeHost);
    }
    if (local.kind === 'stale' && local.lag <= this.#maxStaleLag) {
      return { value: local.value, servedBy: this.self, staleLag: local.lag };
    }
    for (const host of meta?.standbyHosts ?? []) {
      if (host === this.self) continue;
      const answer = await this.#forward(host, store, key, true);
      if (answer) return toRouted<V>(answer, host);
    }
    if (meta?.activeHost && meta.activeHost !== this.self) {
      // Last, the owner's copy while it restores the task it just took over, if within the staleness bound:
      // a standby that became the owner is only a tail behind.
      const answer = await this.#forward(meta.activeHost, store, key, true);
      if (answer) return toRouted<V>(answer, meta.activeHost);
    }
    throw this.#unavailable(
      meta?.activeHost === null || meta === undefined
        ? `partition ${local.partition} of ${store} is being reassigned`
        : `partition ${local.partition} of ${store} is restoring and no caught-up copy can answer`,
    );
  }

  /** Asks another instance; undefined when it cannot answer (down, slow, restoring, not the owner any more). */
  async #forward(
    host: string,
    store: string,
    key: string,
    allowStale: boolean,
  ): Promise<InternalKeyAnswer | undefined> {
    const url = `http://${host}${INTERNAL_PREFIX}/${encodeURIComponent(store)}/keys/${encodeURIComponent(key)}${allowStale ? '?stale=1' : ''}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
      if (response.status !== 200) {
        await response.body?.cancel();
        return undefined;
      }
      return (await response.json()) as InternalKeyAnswer;
    } catch {
      return undefined;
    }
  }

  /** Names a filter that `page` may be asked for (the same on every instance; see filtered-entries.ts). */
  defineFilter(name: string, factory: EntryFilterFactory): void {
    this.#filters.set(name, factory);
  }

  /**
   * This instance's entries of `store` after `after`, sorted, at most `limit` (the internal route's answer);
   * with a filter, only those it keeps.
   */
  async localPage(
    store: string,
    limit: number,
    after?: string,
    filter?: EntryFilter,
  ): Promise<InternalEntries> {
    const entries: { key: string; value: unknown }[] = [];
    const options = after === undefined ? {} : { from: after };
    try {
      if (filter !== undefined) {
        const factory = this.#filters.get(filter.name);
        if (factory === undefined)
          throw new ApiError(
            'INVALID_REQUEST',
            `this instance knows no filter ${JSON.stringify(filter.name)}`,
          );
        return await filteredLocalPart(this.#streams, store, factory(filter.args), limit, after);
      }
      for await (const { key, value } of this.#streams.localEntries<string, unknown>(store, options)) {
        if (after !== undefined && key === after) continue;
        if (entries.length === limit) return { entries, more: true };
        entries.push({ key, value });
      }
    } catch (error) {
      // The instance stopped running, or a rebalance closed a task while its entries were being read.
      const code = (error as { code?: string }).code;
      if (code === 'INVALID_STATE_STORE' || code === 'STORE_NOT_OPEN') {
        throw this.#unavailable(`this instance cannot list its part of ${store} now`);
      }
      throw error;
    }
    return { entries, more: false };
  }

  async page<V>(store: string, options: PageOptions): Promise<RoutedPage<V>> {
    // A global store is whole here: the page is this instance's alone.
    const parts = this.#streams.isGlobalStore?.(store)
      ? [await this.localPage(store, options.limit, options.after, options.filter)]
      : await this.#pagesOfAll(store, options);
    if (options.filter !== undefined) checkCoverage(parts as Coverage[], store);
    // Each part is sorted already: one instance's needs no sorting again.
    const merged =
      parts.length === 1
        ? [...(parts[0] as InternalEntries).entries]
        : byUtf8Key(parts.flatMap((part) => part.entries));
    const more = merged.length > options.limit || parts.some((part) => part.more);
    const entries = merged.slice(0, options.limit) as { key: string; value: V }[];
    return { entries, next: more && entries.length > 0 ? (entries.at(-1) as { key: string }).key : null };
  }

  /** Each instance's part of a page, from every instance the last assignment names. */
  async #pagesOfAll(store: string, options: PageOptions): Promise<InternalEntries[]> {
    const clients = this.#streams.metadataForAllStreamsClients();
    const hosts = clients.map((c) => c.hostInfo);
    if (hosts.length === 0 || hosts.some((host) => host === null)) {
      throw this.#unavailable('the instances are being reassigned');
    }
    return Promise.all(
      (hosts as string[]).map((host) =>
        host === this.self ? this.#ownPage(store, options) : this.#forwardPage(host, store, options),
      ),
    );
  }

  // async, so that a refusal rejects inside Promise.all: thrown from map() it would leave the requests
  // already sent to other instances with nobody to handle their failure (an unhandled rejection).
  async #ownPage(store: string, options: PageOptions): Promise<InternalEntries> {
    if (!this.#isReady()) throw this.#unavailable('this instance is restoring');
    return this.localPage(store, options.limit, options.after, options.filter);
  }

  async #forwardPage(host: string, store: string, options: PageOptions): Promise<InternalEntries> {
    const { limit, after, filter } = options;
    const query = new URLSearchParams({
      limit: String(limit),
      ...(after === undefined ? {} : { after }),
      ...(filter === undefined ? {} : { filter: JSON.stringify(filter) }),
    });
    const url = `http://${host}${INTERNAL_PREFIX}/${encodeURIComponent(store)}/entries?${query}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch {
      throw this.#unavailable(`instance ${host} did not answer`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw this.#unavailable(`instance ${host} cannot list its part of ${store} now`);
    }
    try {
      return (await response.json()) as InternalEntries;
    } catch {
      // The timeout covers the body too: an instance that stops half-way through has not answered.
      throw this.#unavailable(`instance ${host} did not answer`);
    }
  }
}

function toRouted<V>(answer: InternalKeyAnswer, host: string): RoutedAnswer<V> {
  const value = answer.found ? (answer.value as V) : undefined;
  return answer.lag === undefined
    ? { value, servedBy: host }
    : { value, servedBy: host, staleLag: answer.lag };
}
