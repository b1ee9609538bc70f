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

/** What this instance holds for a key: LocalQueryResult's shape, whatever the value. */
export type LocalAnswer<T> =
  | { readonly kind: 'active'; readonly partition: number; readonly value: T }
  | { readonly kind: 'stale'; readonly partition: number; readonly value: T; readonly lag: number }
  | { readonly kind: 'unavailable'; readonly partition: number };

/** What another instance answered for a key; `lag` set when a stale copy answered. */
export interface RemoteAnswer<T> {
  readonly value: T;
  readonly lag?: number;
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

  /** SERVICE_UNAVAILABLE with Retry-After: no copy can answer now. */
  unavailable(why: string): ApiError {
    return new ApiError('SERVICE_UNAVAILABLE', `${why}; try again shortly`, {
      retryAfterSeconds: this.#retryAfter,
    });
  }

  /** What this instance can answer for a key on its own (the internal route's answer). */
  async local<V>(store: string, key: string, allowStale: boolean): Promise<InternalKeyAnswer | undefined> {
    const answer = this.ownAnswer(await this.#queryLocal<V>(store, key), allowStale);
    if (!answer) return undefined;
    const found = { found: answer.value !== undefined, value: answer.value };
    return answer.lag === undefined ? found : { ...found, lag: answer.lag };
  }

  #queryLocal<V>(store: string, key: string): Promise<LocalQueryResult<V>> {
    return this.whileRunning(async () =>
      this.#streams.queryLocal<string, V>(store, key, { includeStale: true }),
    );
  }

  /** Runs a local read; an engine that is not running (INVALID_STATE_STORE) is SERVICE_UNAVAILABLE. */
  async whileRunning<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if ((error as { code?: string }).code === 'INVALID_STATE_STORE') throw this.unavailable('not running');
      throw error;
    }
  }

  async get<V>(store: string, key: string): Promise<RoutedAnswer<V>> {
    const local = (await this.#queryLocal<V>(store, key)) as LocalAnswer<V | undefined>;
    const path = `/${encodeURIComponent(store)}/keys/${encodeURIComponent(key)}`;
    const forward = async (host: string, allowStale: boolean) => {
      const answer = await this.forward<InternalKeyAnswer>(host, `${path}${allowStale ? '?stale=1' : ''}`);
      if (!answer) return undefined;
      const value = answer.found ? (answer.value as V) : undefined;
      return answer.lag === undefined ? { value } : { value, lag: answer.lag };
    };
    return (await this.routeKey(store, key, local, forward)) as RoutedAnswer<V>;
  }

  /**
   * Routes a read of one key (see routing.ts): `local`, what this instance holds, if active; else the
   * owner's answer; else a copy within the staleness bound (here, a standby elsewhere, the owner restoring);
   * else SERVICE_UNAVAILABLE. `forward` asks another instance for its own answer (undefined: it has none).
   */
  async routeKey<T>(
    store: string,
    key: unknown,
    local: LocalAnswer<T>,
    forward: (host: string, allowStale: boolean) => Promise<RemoteAnswer<T> | undefined>,
  ): Promise<RoutedAnswer<T>> {
    if (local.kind === 'active') return { value: local.value, servedBy: this.self };
    let meta: KeyQueryMetadata | undefined;
    try {
      meta = this.#streams.queryMetadataForKey(store, key);
    } catch {
      meta = undefined;
    }
    const routed = (answer: RemoteAnswer<T>, host: string): RoutedAnswer<T> =>
      answer.lag === undefined
        ? { value: answer.value, servedBy: host }
        : { value: answer.value, servedBy: host, staleLag: answer.lag };
    if (meta?.activeHost && meta.activeHost !== this.self) {
      const answer = await forward(meta.activeHost, false);
      if (answer) return routed(answer, meta.activeHost);
    }
    if (local.kind === 'stale' && local.lag <= this.#maxStaleLag) {
      return { value: local.value, servedBy: this.self, staleLag: local.lag };
    }
    for (const host of meta?.standbyHosts ?? []) {
      if (host === this.self) continue;
      const answer = await forward(host, true);
      if (answer) return routed(answer, host);
    }
    if (meta?.activeHost && meta.activeHost !== this.self) {
      // Last, the owner's copy while it restores the task it just took over, if within the staleness bound:
      // a standby that became the owner is only a tail behind.
      const answer = await forward(meta.activeHost, true);
      if (answer) return routed(answer, meta.activeHost);
    }
    throw this.unavailable(
      meta?.activeHost === null || meta === undefined
        ? `partition ${local.partition} of ${store} is being reassigned`
        : `partition ${local.partition} of ${store} is restoring and no caught-up copy can answer`,
    );
  }

  /**
   * What this instance may answer of its own for a key (the internal routes' answer): its active copy, or
   * when `allowStale` a copy within the staleness bound; undefined otherwise.
   */
  ownAnswer<T>(local: LocalAnswer<T>, allowStale: boolean): RemoteAnswer<T> | undefined {
    if (local.kind === 'active') return { value: local.value };
    if (allowStale && local.kind === 'stale' && local.lag <= this.#maxStaleLag)
      return { value: local.value, lag: local.lag };
    return undefined;
  }

  /**
   * GETs `INTERNAL_PREFIX + path` of another instance: its JSON body, or undefined when it cannot answer
   * (down, slow, restoring, not the owner any more).
   */
  async forward<T>(host: string, path: string): Promise<T | undefined> {
    const answer = await this.#ask<T>(host, path);
    return answer.kind === 'answered' ? answer.body : undefined;
  }

  async #ask<T>(
    host: string,
    path: string,
  ): Promise<{ kind: 'answered'; body: T } | { kind: 'refused' | 'silent' }> {
    let response: Response;
    try {
      response = await fetch(`http://${host}${INTERNAL_PREFIX}${path}`, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      return { kind: 'silent' };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return { kind: 'refused' };
    }
    try {
      return { kind: 'answered', body: (await response.json()) as T };
    } catch {
      // The timeout covers the body too: an instance that stops half-way through has not answered.
      return { kind: 'silent' };
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
        throw this.unavailable(`this instance cannot list its part of ${store} now`);
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
  #pagesOfAll(store: string, options: PageOptions): Promise<InternalEntries[]> {
    const { limit, after, filter } = options;
    const query = new URLSearchParams({
      limit: String(limit),
      ...(after === undefined ? {} : { after }),
      ...(filter === undefined ? {} : { filter: JSON.stringify(filter) }),
    });
    return this.fromEveryInstance(
      `list its part of ${store}`,
      () => this.localPage(store, limit, after, filter),
      `/${encodeURIComponent(store)}/entries?${query}`,
    );
  }

  /**
   * Every instance's part of an answer (a listing, windows of every key): this one's from `own` once every
   * task here is restored, the others' from their internal route `path`. SERVICE_UNAVAILABLE when one of
   * them cannot give its part now: an answer without it would be wrong.
   */
  async fromEveryInstance<T>(what: string, own: () => Promise<T>, path: string): Promise<T[]> {
    const clients = this.#streams.metadataForAllStreamsClients();
    const hosts = clients.map((c) => c.hostInfo);
    if (hosts.length === 0 || hosts.some((host) => host === null)) {
      throw this.unavailable('the instances are being reassigned');
    }
    return Promise.all(
      (hosts as string[]).map(async (host) => {
        // async, so that a refusal rejects inside Promise.all: thrown from map() it would leave the requests
        // already sent to other instances with nobody to handle their failure (an unhandled rejection).
        if (host === this.self) {
          if (!this.#isReady()) throw this.unavailable('this instance is restoring');
          return own();
        }
        const part = await this.#ask<T>(host, path);
        if (part.kind === 'answered') return part.body;
        throw this.unavailable(
          part.kind === 'refused' ? `instance ${host} cannot ${what} now` : `instance ${host} did not answer`,
        );
      }),
    );
  }
}
