import { performance } from 'node:perf_hooks';
import { log } from '../support.js';
import { type Lookup, lookup } from './http.js';
import type { Instance } from './instances.js';
import type { ChaosProducer } from './producer.js';

/**
 * Lookups of known MACs while the chaos runs, at a fixed rate, on the instances that are up (their API
 * answered once since their start): what they answer, how fast, and after each kill -9 how long until the
 * killed instance's keys are answered current again: a 200 from an active copy (no
 * `X-Probestream-Stale-Lag`: a standby answers at once, but its count stands still until a task runs the
 * key again) that counts at least what Kafka had acknowledged for the key before the kill.
 */

/**
 * Lookups of any known MAC ask only for MACs whose first probe request Kafka acknowledged at least this
 * long before: a MAC acknowledged a moment ago is rightly not found until a task has run its record.
 */
export const SETTLED_AFTER_MS = 10_000;
/** Keys of a killed instance watched for its recovery. */
const WATCHED_KEYS = 12;
/** A recovery not seen by then is reported as not recovered. */
export const RECOVERY_TIMEOUT_MS = 120_000;
/** At most this many lookups wait for an answer at once; a tick past it is skipped and counted. */
const MAX_IN_FLIGHT = 100;

interface RecoveryWatch {
  readonly instance: number;
  readonly killedAt: number;
  /** MAC → probe requests acknowledged before the kill. */
  readonly pending: Map<string, number>;
  readonly keys: number;
}

export interface Recovery {
  readonly instance: number;
  readonly keys: number;
  /** null: not answered current within RECOVERY_TIMEOUT_MS. */
  readonly seconds: number | null;
}

export class QueryLoop {
  readonly statuses = new Map<number, number>();
  /** 503s by the reason the API gave (partition numbers left out), to tell which copy was missing. */
  readonly unavailableReasons = new Map<string, number>();
  readonly latencies: number[] = [];
  readonly latencies200: number[] = [];
  readonly recoveries: Recovery[] = [];
  unreachable = 0;
  timeouts = 0;
  skipped = 0;
  staleAnswers = 0;
  /** 404s from a copy behind its partition (X-Probestream-Stale-Lag): the key may be in the owner's. */
  staleNotFound = 0;
  firstError: string | undefined;
  readonly #instances: readonly Instance[];
  readonly #producer: ChaosProducer;
  readonly #rate: number;
  /** MAC → port of the instance whose active copy last answered for it. */
  readonly #owner = new Map<string, number>();
  readonly #watches: RecoveryWatch[] = [];
  #known: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #sent = 0;
  #started = 0;
  /** After the chaos: only watched keys are asked for, and nothing is counted but their recovery. */
  #draining = false;

  constructor(instances: readonly Instance[], producer: ChaosProducer, rate: number) {
    this.#instances = instances;
    this.#producer = producer;
    this.#rate = rate;
  }

  start(): void {
    this.#started = performance.now();
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  /**
   * Ends the lookups counted as during the chaos; the keys of kills still being watched are asked for
   * until they are current or their watch times out, so that a kill just before the end is measured too
   * (unless `abandonWatches`: the run was stopped).
   */
  async stop(abandonWatches = false): Promise<void> {
    this.#draining = true;
    const deadline = performance.now() + (abandonWatches ? 0 : RECOVERY_TIMEOUT_MS) + 10_000;
    while (
      ((this.#watches.length > 0 && !abandonWatches) || this.#inFlight > 0) &&
      performance.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(this.#timer);
    for (const watch of this.#watches.splice(0)) this.#endWatch(watch, null);
  }

  /** Call just before instance `index` is killed: watches the keys it answered for until they are current. */
  watchRecovery(index: number): void {
    const port = this.#instances[index]?.port;
    const pending = new Map<string, number>();
    for (const [mac, owner] of this.#owner) {
      if (owner !== port) continue;
      pending.set(mac, this.#producer.acknowledged.get(mac) ?? 0);
      if (pending.size === WATCHED_KEYS) break;
    }
    if (pending.size === 0) {
      log(`instance ${index}: no key seen answered by it yet, its recovery is not measured`);
      return;
    }
    this.#watches.push({ instance: index, killedAt: performance.now(), pending, keys: pending.size });
  }

  #tick(): void {
    const now = performance.now();
    const due = Math.floor(((now - this.#started) / 1000) * this.#rate) - this.#sent;
    for (let i = 0; i < due; i += 1) {
      this.#sent += 1;
      if (this.#inFlight >= MAX_IN_FLIGHT) {
        this.skipped += 1;
        continue;
      }
      this.#expireWatches(now);
      const up = this.#instances.filter((x) => x.state === 'listening' || x.state === 'ready');
      const mac = this.#nextMac();
      if (up.length === 0 || mac === undefined) continue;
      const target = up[Math.floor(Math.random() * up.length)] as Instance;
      this.#inFlight += 1;
      void lookup(target.port, mac).then((result) => {
        this.#inFlight -= 1;
        this.#record(mac, result);
      });
    }
  }

  /** Half the lookups go to keys whose recovery is watched, the rest to any known MAC. */
  #nextMac(): string | undefined {
    const watched = this.#watches.flatMap((w) => [...w.pending.keys()]);
    if (this.#draining && watched.length === 0) return undefined;
    if (watched.length > 0 && (this.#draining || this.#sent % 2 === 0)) {
      return watched[Math.floor(Math.random() * watched.length)];
    }
    const settledBefore = performance.now() - SETTLED_AFTER_MS;
    // Acknowledgement times only grow: the settled MACs are a prefix of the map's insertion order.
    if (this.#known.length < this.#producer.firstAcknowledgedAt.size) {
      const known: string[] = [];
      for (const [mac, at] of this.#producer.firstAcknowledgedAt) {
        if (at > settledBefore) break;
        known.push(mac);
      }
      this.#known = known;
    }
    if (this.#known.length === 0) return undefined;
    return this.#known[Math.floor(Math.random() * this.#known.length)];
  }

  #record(mac: string, result: Lookup): void {
    if (this.#draining) {
      if (result.kind === 'answer' && result.status === 200 && result.staleLag === undefined) {
        this.#recovered(mac, result.body);
      }
      return;
    }
    if (result.kind !== 'answer') {
      if (result.kind === 'unreachable') this.unreachable += 1;
      else this.timeouts += 1;
      if (result.kind === 'timeout') this.firstError ??= `${mac}: ${result.message}`;
      return;
    }
    const { status } = result;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.latencies.push(result.ms);
    if (status !== 200 && status !== 404 && status !== 503) {
      this.firstError ??= `${mac}: ${status} ${result.body.slice(0, 200)}`;
      return;
    }
    if (status === 404 && result.staleLag !== undefined) this.staleNotFound += 1;
    if (status === 503) {
      const reason = unavailableReason(result.body);
      this.unavailableReasons.set(reason, (this.unavailableReasons.get(reason) ?? 0) + 1);
    }
    if (status !== 200) return;
    this.latencies200.push(result.ms);
    if (result.staleLag !== undefined) this.staleAnswers += 1;
    const port = Number(result.servedBy?.split(':').pop());
    if (result.staleLag !== undefined) return;
    if (Number.isInteger(port)) this.#owner.set(mac, port);
    this.#recovered(mac, result.body);
  }

  /** A 200 for `mac`: the watches it completes end now. */
  #recovered(mac: string, body: string): void {
    const count = (JSON.parse(body) as { probeCount: number }).probeCount;
    const now = performance.now();
    for (const watch of [...this.#watches]) {
      const target = watch.pending.get(mac);
      if (target === undefined || count < target) continue;
      watch.pending.delete(mac);
      if (watch.pending.size === 0) this.#endWatch(watch, now);
    }
  }

  #expireWatches(now: number): void {
    for (const watch of [...this.#watches]) {
      if (now - watch.killedAt > RECOVERY_TIMEOUT_MS) this.#endWatch(watch, null);
    }
  }

  #endWatch(watch: RecoveryWatch, at: number | null): void {
    const index = this.#watches.indexOf(watch);
    if (index >= 0) this.#watches.splice(index, 1);
    const seconds = at === null ? null : Math.round((at - watch.killedAt) / 100) / 10;
    this.recoveries.push({ instance: watch.instance, keys: watch.keys, seconds });
    log(
      seconds === null
        ? `instance ${watch.instance}: ${watch.pending.size} of its ${watch.keys} keys not current after the kill`
        : `instance ${watch.instance}: its ${watch.keys} watched keys current again ${seconds} s after the kill`,
    );
  }
}

function unavailableReason(body: string): string {
  try {
    const message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body;
    return message.replace(/\d+/g, 'N');
  } catch {
    return body.slice(0, 100);
  }
}
