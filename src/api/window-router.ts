import type { LocalFetchResult, StreamsEngine, WindowedEntry, WindowedValue } from '../topology/index.js';
import type { LocalAnswer, RemoteAnswer, StoreRouter } from './router.js';
import type { RoutedAnswer } from './routing.js';

/** What the window router needs of a running engine. */
export type WindowQueryableStreams = Pick<StreamsEngine, 'windowFetch' | 'sessionFetch' | 'windowFetchAll'>;

/** The windows of one key, by kind of store: time windows that start in a range, or sessions that overlap it. */
export type WindowKind = 'windows' | 'sessions';

/** The body of the internal windows and sessions routes: one instance's windows of a key. */
export interface InternalWindowsAnswer {
  readonly values: readonly WindowedValue<unknown>[];
  /** Present when a standby or restoring copy answered. */
  readonly lag?: number;
}

/** The body of the internal route of every key's windows: one instance's part. */
export interface InternalAllWindows {
  readonly entries: readonly WindowedEntry<string, unknown>[];
  /** Whether this instance holds more windows than the limit asked for. */
  readonly more: boolean;
}

/** A range of time, epoch ms, both ends inclusive. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Routed reads of window and session stores (routing.ts): a key's windows from the instance that owns it,
 * as StoreRouter routes a key lookup (owner first, then a copy within the staleness bound, its lag said);
 * every key's windows gathered from every instance.
 */
export class WindowRouter {
  readonly #router: StoreRouter;
  readonly #streams: WindowQueryableStreams;

  constructor(router: StoreRouter, streams: WindowQueryableStreams) {
    this.#router = router;
    this.#streams = streams;
  }

  /** What this instance holds of a key's windows (the internal routes' answer); undefined: nothing it may say. */
  async local<V>(
    kind: WindowKind,
    store: string,
    key: string,
    range: TimeRange,
    allowStale: boolean,
  ): Promise<InternalWindowsAnswer | undefined> {
    const answer = this.#router.ownAnswer(await this.#fetch<V>(kind, store, key, range), allowStale);
    if (!answer) return undefined;
    return answer.lag === undefined ? { values: answer.value } : { values: answer.value, lag: answer.lag };
  }

  /**
   * A key's time windows that start in `range` (`windows`), or its sessions that overlap it (`sessions`),
   * wherever the key lives. SERVICE_UNAVAILABLE (503, Retry-After) when no copy can answer now.
   */
  async fetch<V>(
    kind: WindowKind,
    store: string,
    key: string,
    range: TimeRange,
  ): Promise<RoutedAnswer<readonly WindowedValue<V>[]>> {
    const local = await this.#fetch<V>(kind, store, key, range);
    const query = new URLSearchParams({ from: String(range.from), to: String(range.to) });
    const path = `/${encodeURIComponent(store)}/${kind}/${encodeURIComponent(key)}?${query}`;
    const forward = async (host: string, allowStale: boolean) => {
      const answer = await this.#router.forward<InternalWindowsAnswer>(
        host,
        `${path}${allowStale ? '&stale=1' : ''}`,
      );
      if (!answer) return undefined;
      const values = answer.values as readonly WindowedValue<V>[];
      return (
        answer.lag === undefined ? { value: values } : { value: values, lag: answer.lag }
      ) satisfies RemoteAnswer<readonly WindowedValue<V>[]>;
    };
    return this.#router.routeKey(store, key, local, forward);
  }

  async #fetch<V>(
    kind: WindowKind,
    store: string,
    key: string,
    range: TimeRange,
  ): Promise<LocalAnswer<readonly WindowedValue<V>[]>> {
    const options = { includeStale: true };
    const found: LocalFetchResult<WindowedValue<V>> = await this.#router.whileRunning(() =>
      kind === 'windows'
        ? this.#streams.windowFetch<string, V>(store, key, range.from, range.to, options)
        : this.#streams.sessionFetch<string, V>(store, key, range.from, range.to, options),
    );
    if (found.kind === 'unavailable') return found;
    return found.kind === 'active'
      ? { kind: 'active', partition: found.partition, value: found.values }
      : { kind: 'stale', partition: found.partition, value: found.values, lag: found.lag };
  }

  /** This instance's windows of every key that start in `range`, at most `limit` (the internal route's answer). */
  async localAll(store: string, range: TimeRange, limit: number): Promise<InternalAllWindows> {
    try {
      return await this.#router.whileRunning(() =>
        this.#streams.windowFetchAll<string, unknown>(store, range.from, range.to, { limit }),
      );
    } catch (error) {
      // A rebalance closed a task while its windows were read.
      if ((error as { code?: string }).code === 'STORE_NOT_OPEN')
        throw this.#router.unavailable(`this instance cannot read its part of ${store} now`);
      throw error;
    }
  }

  /**
   * Every key's time windows that start in `range`, from every instance, at most `limit` from each; `more`
   * when one of them held more. SERVICE_UNAVAILABLE when an instance cannot give its part now.
   */
  async fetchAll<V>(
    store: string,
    range: TimeRange,
    limit: number,
  ): Promise<{ readonly entries: readonly WindowedEntry<string, V>[]; readonly more: boolean }> {
    const query = new URLSearchParams({
      from: String(range.from),
      to: String(range.to),
      limit: String(limit),
    });
    const parts = await this.#router.fromEveryInstance(
      `give its windows of ${store}`,
      () => this.localAll(store, range, limit),
      `/${encodeURIComponent(store)}/windows?${query}`,
    );
    const entries = parts.flatMap((part) => part.entries) as WindowedEntry<string, V>[];
    return { entries, more: parts.some((part) => part.more) };
  }
}
