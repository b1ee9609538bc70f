import type { Processor, ProcessorContext, StreamRecord, WindowStore } from '../topology/index.js';
import { Serdes, type StoreBuilder, Stores } from '../topology/index.js';
import type { Alert } from './schemas.js';

/** The store of probe counts per (MAC, SSID) and alert window. */
export const ALERT_WINDOWS_STORE = 'alert-windows';

/** Why a probe raised no alert, in `probestream_dropped_records_total{reason}`. */
export const SUPPRESSED = 'alert-suppressed';

/**
 * The window store behind alert suppression. It keeps three windows of stream time: the current one, the
 * previous one (whose count the next alert reports) and one more for probes that arrive late, out of
 * order across the partitions they came from.
 */
export function alertWindowsStore(windowMs: number, persistent: boolean): StoreBuilder {
  return {
    ...Stores.windowStore({
      name: ALERT_WINDOWS_STORE,
      keySerde: Serdes.String(),
      valueSerde: Serdes.Long(),
      retentionMs: 3 * windowMs,
      windowSizeMs: windowMs,
    }),
    persistent,
  };
}

/**
 * At most one alert per (MAC, SSID) per tumbling window of event time: the first probe of the pair in a
 * window raises the alert, carrying how many probes of the pair the previous window did not alert on; the
 * others are counted in the store and as dropped (`alert-suppressed`). A probe older than the store's
 * retention cannot be told apart from one already alerted on: it is dropped as `late`, not alerted twice.
 */
export function alertSuppressor(windowMs: number): () => Processor<string, Alert, string, Alert> {
  return () => {
    let context: ProcessorContext<string, Alert>;
    let store: WindowStore<string, number>;
    return {
      init(ctx) {
        context = ctx;
        store = ctx.getStateStore<WindowStore<string, number>>(ALERT_WINDOWS_STORE);
      },
      process(record: StreamRecord<string, Alert>) {
        const alert = record.value;
        const pair = JSON.stringify([alert.mac, alert.ssid]);
        const start = record.timestamp - (record.timestamp % windowMs);
        store.observe(record.timestamp);
        const count = store.fetch(pair, start) ?? 0;
        if (!store.put(pair, count + 1, start)) return context.recordDropped('late');
        if (count > 0) return context.recordDropped(SUPPRESSED);
        const previous = start >= windowMs ? (store.fetch(pair, start - windowMs) ?? 0) : 0;
        context.forward({ ...record, value: { ...alert, suppressed: Math.max(0, previous - 1) } });
      },
    };
  };
}
