import { describeError } from '../errors.js';

/**
 * What a broker says while it settles, at start or right after a topic is made, or while it restarts
 * (and kafkajs while it restarts a consumer that lost it): worth waiting out, not worth stopping for. Matched on the error's name and message along its cause
 * chain, since errors from the engine's worker thread arrive as copies without kafkajs's `type`.
 */
const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection error|Connection timeout|Closed connection|does not host this topic-partition|no leader for this topic-partition|leader is not available|not the leader|coordinator is loading|coordinator is not available|not the correct coordinator|group is rebalancing|rebalance in progress|KafkaJSConnectionError|KafkaJSConnectionClosedError|KafkaJSBrokerNotFound|KafkaJSRequestTimeoutError|KafkaJSLockTimeout|Consumer group was not initialized|Failed to find group coordinator|KafkaJSGroupCoordinatorNotFound|broker is not available|BROKER_NOT_AVAILABLE|NETWORK_EXCEPTION|concurrent operation on the same transaction|CONCURRENT_TRANSACTIONS|UNKNOWN_TOPIC_OR_PARTITION|LEADER_NOT_AVAILABLE|NOT_LEADER|COORDINATOR_/i;

/** Whether an error (or one of its causes) is a broker state that passes. */
export function isTransient(error: unknown): boolean {
  for (
    let e = error as { name?: string; message?: string; type?: string; cause?: unknown }, depth = 0;
    e && depth < 8;
    depth++
  ) {
    if (TRANSIENT.test(`${e.name ?? ''} ${e.type ?? ''} ${e.message ?? ''}`)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** Sleeps `ms`, or less when `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export interface WaitOptions {
  /** Epoch ms after which a transient state is given up on. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Between two attempts: doubles from `firstBackoffMs` up to 5 s. */
  readonly firstBackoffMs?: number;
}

/**
 * Runs `attempt` until it succeeds, waiting out transient broker states with backoff and a log line at
 * most every 10 s. Rethrows an error that is not transient, or the last one once `deadline` has passed.
 * Resolves undefined when `signal` aborts first.
 */
export async function retryWhileTransient<T>(
  what: string,
  attempt: () => Promise<T>,
  options: WaitOptions,
): Promise<T | undefined> {
  let backoff = options.firstBackoffMs ?? 250;
  let lastLog = 0;
  for (;;) {
    if (options.signal.aborted) return undefined;
    try {
      return await attempt();
    } catch (error) {
      if (options.signal.aborted) return undefined;
      if (!isTransient(error) || Date.now() + backoff > options.deadline) throw error;
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        const left = Math.max(0, Math.round((options.deadline - Date.now()) / 1000));
        options.log(
          `waiting for Kafka to ${what}: ${describeError(error)} (retrying for up to ${left} s more)`,
        );
      }
      await pause(backoff, options.signal);
      backoff = Math.min(5_000, backoff * 2);
    }
  }
}
