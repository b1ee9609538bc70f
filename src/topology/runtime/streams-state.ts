import { StreamsError } from '../errors.js';

/** An instance's state, with Kafka Streams' names and transitions. */
export type StreamsState =
  | 'CREATED'
  | 'REBALANCING'
  | 'RUNNING'
  | 'PENDING_SHUTDOWN'
  | 'NOT_RUNNING'
  | 'ERROR';

export type StateListener = (newState: StreamsState, oldState: StreamsState) => void;

const TRANSITIONS: Record<StreamsState, readonly StreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN'],
};

/** An instance's state and who listens to it. A change the transition table does not allow is ignored. */
export class StreamsStateMachine {
  #state: StreamsState = 'CREATED';
  #listeners: StateListener[] = [];

  get state(): StreamsState {
    return this.#state;
  }

  /** Replaces every listener with this one (Kafka Streams' `setStateListener`). */
  setListener(listener: StateListener): void {
    this.#listeners = [listener];
  }

  onChange(listener: StateListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Moves to `next` when allowed; REBALANCING may repeat (each new rebalance is announced). */
  set(next: StreamsState): void {
    const previous = this.#state;
    if (previous === next && next !== 'REBALANCING') return;
    if (!TRANSITIONS[previous].includes(next)) return;
    this.#state = next;
    for (const listener of this.#listeners) listener(next, previous);
  }
}

/** What waitForState watches: a KafkaStreams, or a WorkerStreams. */
export interface StateSource {
  readonly state: StreamsState;
  readonly error: Error | undefined;
  onStateChange(listener: StateListener): () => void;
}

/** Resolves once `source` has the state, or rejects if it ends in ERROR/NOT_RUNNING first, or on timeout. */
export function waitForState(source: StateSource, state: StreamsState, timeoutMs: number): Promise<void> {
  if (source.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new StreamsError('ILLEGAL_STATE', `not ${state} within ${timeoutMs} ms (state ${source.state})`),
      );
    }, timeoutMs);
    const off = source.onStateChange((next) => {
      if (next === state) {
        clearTimeout(timer);
        off();
        resolve();
      } else if (next === 'ERROR' || next === 'NOT_RUNNING') {
        clearTimeout(timer);
        off();
        reject(
          source.error ?? new StreamsError('ILLEGAL_STATE', `reached ${next} while waiting for ${state}`),
        );
      }
    });
  });
}
