import type { Alert } from '../probes/schemas.js';

/**
 * Push queries' sources: streams of events that SSE clients subscribe to. A subscription sees the events
 * published after its `subscribe` resolved; nothing is replayed.
 */

/** Removes a subscription; calling it again does nothing. */
export type Unsubscribe = () => void;

export interface PushSource<T> {
  /**
   * Calls `onEvent` with each event published from when the returned promise resolves, until unsubscribed.
   * `onEnd` is called once if the source stops for good (closed, or its input failed), with the error if
   * it failed. Rejects when the source cannot start (e.g. Kafka unreachable): no subscription was made.
   */
  subscribe(onEvent: (event: T) => void, onEnd?: (error?: Error) => void): Promise<Unsubscribe>;
}

/** A probe request as the push query shows it. */
export interface ProbeEvent {
  /** Event time, epoch milliseconds. */
  readonly timestamp: number;
  /** Source MAC, lower-case, colon-separated. */
  readonly mac: string;
  /** `""` for a wildcard probe, null when the frame carries no SSID element. */
  readonly ssid: string | null;
  readonly signalDbm: number | null;
}

/** The push queries the API serves. */
export interface PushSources {
  /** Alerts as the topology writes them to the `alerts` topic. */
  readonly alerts: PushSource<Alert>;
  /** Probe requests as they arrive on the `pcap` topic. */
  readonly probes: PushSource<ProbeEvent>;
}

interface Subscription<T> {
  readonly onEvent: (event: T) => void;
  readonly onEnd: ((error?: Error) => void) | undefined;
}

/**
 * An in-process fan-out: each published event goes to every subscriber. A subscriber that throws is
 * unsubscribed (and told so through onEnd) rather than allowed to stop the others.
 */
export class PushHub<T> implements PushSource<T> {
  readonly #subscriptions = new Set<Subscription<T>>();
  #ended = false;

  /** How many subscriptions are open. */
  get size(): number {
    return this.#subscriptions.size;
  }

  async subscribe(onEvent: (event: T) => void, onEnd?: (error?: Error) => void): Promise<Unsubscribe> {
    return this.subscribeNow(onEvent, onEnd);
  }

  /** subscribe, synchronously. */
  subscribeNow(onEvent: (event: T) => void, onEnd?: (error?: Error) => void): Unsubscribe {
    if (this.#ended) throw new Error('the push source has ended');
    const subscription: Subscription<T> = { onEvent, onEnd };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }

  publish(event: T): void {
    for (const subscription of this.#subscriptions) {
      try {
        subscription.onEvent(event);
      } catch (error) {
        this.#subscriptions.delete(subscription);
        try {
          subscription.onEnd?.(error instanceof Error ? error : new Error(String(error)));
        } catch {
          // Already unsubscribed: nothing more to do for it.
        }
      }
    }
  }

  /** Ends every subscription (with `error` when the input failed); with `final`, refuses new ones after. */
  end(error?: Error, final = false): void {
    this.#ended ||= final;
    const subscriptions = [...this.#subscriptions];
    this.#subscriptions.clear();
    for (const subscription of subscriptions) {
      try {
        subscription.onEnd?.(error);
      } catch {
        // A subscriber failing to clean up must not keep the others from hearing of the end.
      }
    }
  }
}
