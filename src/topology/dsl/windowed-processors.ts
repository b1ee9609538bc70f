import type { SessionStore, Windowed, WindowStore } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';
import { drop, skip } from './skips.js';
import type { SessionWindows, TimeWindows } from './windows.js';

type WindowedProcessor<K, V, A> = () => Processor<K, V, Windowed<K>, A | null>;

/** Why a record was not aggregated into a window: it came after the window closed (end + grace). */
export const LATE = 'late';

/**
 * Folds each record into every time window that holds it, as Kafka Streams' window aggregation does: a
 * window closed by stream time (its end plus grace passed) takes no more records; such a record is dropped
 * and counted once. The store's stream time is its own, so that it commits and restores with its windows.
 */
export function windowAggregateProcessor<K, V, A>(
  storeName: string,
  windows: TimeWindows,
  initializer: () => A,
  aggregator: (key: K, value: V, aggregate: A) => A,
): WindowedProcessor<K, V, A> {
  return () => {
    let context: ProcessorContext<Windowed<K>, A | null>;
    let store: WindowStore<K, A>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<WindowStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        if (record.key === null || record.key === undefined) return skip(context, 'null key');
        if (record.value === null || record.value === undefined) return skip(context, 'null value');
        store.observe(record.timestamp);
        const closeTime = store.observedStreamTime - windows.graceMs;
        let late = false;
        for (const window of windows.windowsFor(record.timestamp)) {
          if (window.end <= closeTime) {
            late = true;
            continue;
          }
          const next = aggregator(
            record.key,
            record.value,
            store.fetch(record.key, window.start) ?? initializer(),
          );
          store.put(record.key, next, window.start);
          context.forward({ ...record, key: { key: record.key, window }, value: next });
        }
        if (late) drop(context, LATE);
      },
    };
  };
}

/**
 * Session aggregation, as Kafka Streams': a record joins every session of its key within the inactivity
 * gap of it, merging them (their aggregates combined with `merger`, the merged-away sessions deleted
 * downstream); a session closes once stream time passes its end plus the gap plus grace, and then takes
 * nothing more.
 */
export function sessionAggregateProcessor<K, V, A>(
  storeName: string,
  windows: SessionWindows,
  initializer: () => A,
  aggregator: (key: K, value: V, aggregate: A) => A,
  merger: (key: K, left: A, right: A) => A,
): WindowedProcessor<K, V, A> {
  return () => {
    let context: ProcessorContext<Windowed<K>, A | null>;
    let store: SessionStore<K, A>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<SessionStore<K, A>>(storeName);
      },
      process(record: StreamRecord<K, V>) {
        const { key, value, timestamp } = record;
        if (key === null || key === undefined) return skip(context, 'null key');
        if (value === null || value === undefined) return skip(context, 'null value');
        store.observe(timestamp);
        const gap = windows.inactivityGapMs;
        // A session can still grow until a record a gap after its end may no longer come: gap plus grace.
        const closeTime = store.observedStreamTime - windows.graceMs - gap;
        const overlapping = store.findSessions(key, timestamp - gap, timestamp + gap);
        let [start, end] = [timestamp, timestamp];
        let aggregate = initializer();
        for (const session of overlapping) {
          start = Math.min(start, session.key.window.start);
          end = Math.max(end, session.key.window.end);
          aggregate = merger(key, aggregate, session.value);
        }
        if (end < closeTime) return drop(context, LATE);
        for (const session of overlapping) {
          const same = session.key.window.start === start && session.key.window.end === end;
          if (!same) context.forward({ ...record, key: session.key, value: null });
        }
        aggregate = aggregator(key, value, aggregate);
        const merged = { key, window: { start, end } };
        store.replace(
          overlapping.map((session) => session.key),
          merged,
          aggregate,
        );
        context.forward({ ...record, key: merged, value: aggregate });
      },
    };
  };
}
