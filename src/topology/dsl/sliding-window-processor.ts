import type { IndexedWindow, SlidingWindowStore, Windowed, WindowStart } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';
import { drop, skip } from './skips.js';
import { LATE } from './windowed-processors.js';
import type { SlidingWindows } from './windows.js';

type Context<K, A> = ProcessorContext<Windowed<K>, A | null>;

/** What one record does to its key's windows: the state shared by the steps below. */
class SlidingStep<K, V, A> {
  /** Set when a window the record belongs to had already closed. */
  late = false;
  readonly #key: K;
  readonly #value: V;
  readonly #time: number;
  /** The windows written, put in the store (and its index) together once the record is done. */
  readonly #written: IndexedWindow<A>[] = [];

  constructor(
    readonly record: StreamRecord<K, V>,
    readonly store: SlidingWindowStore<K, A>,
    readonly context: Context<K, A>,
    readonly windows: SlidingWindows,
    readonly closeTime: number,
    readonly initializer: () => A,
    readonly aggregator: (key: K, value: V, aggregate: A) => A,
  ) {
    this.#key = record.key;
    this.#value = record.value;
    this.#time = record.timestamp;
  }

  /** The window at `start` with its aggregate as stored (before this record). */
  read(window: WindowStart): IndexedWindow<A> {
    return { ...window, value: this.store.fetch(this.#key, window.start) as A };
  }

  #emit(start: number, value: A, maxTimestamp: number): void {
    this.#written.push({ start, value, maxTimestamp });
    const window = { start, end: start + this.windows.timeDifferenceMs };
    this.context.forward({ ...this.record, key: { key: this.#key, window }, value, timestamp: maxTimestamp });
  }

  /** Adds the record to the window at `start` (a new one when `base` is undefined), unless it has closed. */
  add(start: number, base: { value: A; maxTimestamp: number } | undefined): void {
    if (start + this.windows.timeDifferenceMs < this.closeTime) {
      this.late = true;
      return;
    }
    const next = this.aggregator(
      this.#key,
      this.#value,
      base === undefined ? this.initializer() : base.value,
    );
    this.#emit(start, next, Math.max(this.#time, base?.maxTimestamp ?? this.#time));
  }

  /**
   * Makes the window that starts just after the record, which holds the later records only: the same as
   * `holder`'s before this record was added, when `holder` has a record after this one.
   */
  rightWindow(holder: IndexedWindow<A> | undefined): void {
    if (holder === undefined || holder.maxTimestamp <= this.#time) return;
    this.#emit(this.#time + 1, holder.value, holder.maxTimestamp);
  }

  /** Writes what the record changed: every read of this record was made before. */
  finish(): void {
    this.store.putWindows(this.#key, this.#written);
  }
}

/**
 * A record at t with t >= the time difference. Its key's windows that start from t - 2 x difference to t + 1
 * tell everything: those holding t are updated; the latest that ends before t gives the previous record
 * and the aggregate of the record's own (left) window when that record falls in it; the latest holding t
 * and a later record gives the aggregate of the window just after t (the right window). A previous record
 * whose right window is missing and would hold t gets it now. Windows are visited latest first, and the
 * visit stops at the first that ends before t: older ones say nothing more.
 */
function processRegular<K, V, A>(step: SlidingStep<K, V, A>, t: number, diff: number): void {
  const found = step.store.windowStarts(step.record.key, Math.max(0, t - 2 * diff), t + 1);
  const starts = new Set<number>();
  let leftExists = false;
  let rightExists = false;
  let previous: WindowStart | undefined;
  let before: WindowStart | undefined;
  let holder: IndexedWindow<A> | undefined;
  for (let i = found.length - 1; i >= 0; i--) {
    const window = found[i] as WindowStart;
    const end = window.start + diff;
    starts.add(window.start);
    if (window.start === t + 1) {
      rightExists = true;
    } else if (end > t) {
      const stored = step.read(window);
      holder ??= stored;
      step.add(window.start, stored);
    } else if (end === t) {
      leftExists = true;
      step.add(window.start, step.read(window));
      // A record at t already made every window there is to make.
      if (window.maxTimestamp >= t) return;
      previous = window;
    } else {
      before = window;
      previous = window;
      break;
    }
  }
  const previousTime = previous?.maxTimestamp;
  // A previous right window starting at t - diff would be the record's own left window, made below.
  if (previousTime !== undefined && !starts.has(previousTime + 1) && previousTime + 1 > t - diff)
    step.add(previousTime + 1, undefined);
  if (!leftExists) {
    // When the previous record falls in the left window, the window before holds what the left one does.
    const base = before !== undefined && before.maxTimestamp >= t - diff ? step.read(before) : undefined;
    step.add(t - diff, base && { value: base.value, maxTimestamp: t });
  }
  if (!rightExists) step.rightWindow(holder);
}

/**
 * A record at t < the time difference, whose left window would start before 0: such records all share the
 * window [0, difference], as in Kafka Streams, and their right windows are made as for any record.
 */
function processEarly<K, V, A>(step: SlidingStep<K, V, A>, t: number): void {
  const found = step.store.windowStarts(step.record.key, 0, t + 1);
  const starts = new Set(found.map((w) => w.start));
  let combined: IndexedWindow<A> | undefined;
  let holder: IndexedWindow<A> | undefined;
  for (const window of found) {
    if (window.start === 0) combined = step.read(window);
    else if (window.start <= t) {
      holder = step.read(window);
      step.add(window.start, holder);
    }
  }
  if (!starts.has(t + 1)) step.rightWindow(holder ?? combined);
  const previousTime = combined?.maxTimestamp;
  if (previousTime !== undefined && previousTime < t && !starts.has(previousTime + 1))
    step.add(previousTime + 1, undefined);
  step.add(0, combined);
}

/**
 * Sliding-window aggregation (KIP-450), as Kafka Streams' KStreamSlidingWindowAggregate behaves: each
 * record updates every window that holds it and makes its own left window, its right window when later
 * records fall there, and the right window of the record before it when that is missing. Windows closed by
 * stream time (end + grace passed) are left alone, and a record that met one is counted as dropped once.
 */
export function slidingWindowAggregateProcessor<K, V, A>(
  storeName: string,
  windows: SlidingWindows,
  initializer: () => A,
  aggregator: (key: K, value: V, aggregate: A) => A,
): () => Processor<K, V, Windowed<K>, A | null> {
  return () => {
    let context: Context<K, A>;
    let store: SlidingWindowStore<K, A>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<SlidingWindowStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        if (record.value === null || record.value === undefined) return skip(context, 'null value');
        const t = record.timestamp;
        const diff = windows.timeDifferenceMs;
        store.observe(t);
        const closeTime = store.observedStreamTime - windows.graceMs;
        // Even the window just after the record has closed: nothing it could belong to is open.
        if (t + 1 + diff <= closeTime) return drop(context, LATE);
        const step = new SlidingStep(record, store, context, windows, closeTime, initializer, aggregator);
        if (t < diff) processEarly(step, t);
        else processRegular(step, t, diff);
        step.finish();
        if (step.late) drop(context, LATE);
      },
    };
  };
}
