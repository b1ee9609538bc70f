import type { ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';

/**
 * The runtime's context can count records that an operation passes over (a null key in a join, say), and
 * hold a table's updates until the task flushes.
 */
interface RuntimeExtras {
  recordSkipped?(reason: string): void;
  forwardAtFlush?(id: string | undefined, record: StreamRecord<unknown, unknown>): void;
}

/**
 * Records an operation cannot handle are passed over, as Kafka Streams does, but never silently: the
 * runtime counts them by node and reason in `probestream_skipped_records_total`.
 */
export function skip(context: ProcessorContext<unknown, unknown>, reason: string): void {
  (context as RuntimeExtras).recordSkipped?.(reason);
}

/** Records an operation drops by design (a record later than its window's grace): `probestream_dropped_records_total`. */
export function drop(context: ProcessorContext<unknown, unknown>, reason: string): void {
  context.recordDropped(reason);
}

/**
 * A table's update on its way downstream: held until the task flushes, and then only each key's latest, as
 * Kafka Streams forwards from a caching store (fewer updates for joins, regroupings and sinks to carry). At
 * once when the runtime holds nothing (caching off) or the key is not a string or number.
 */
export function forwardUpdate<K, V>(context: ProcessorContext<K, V>, record: StreamRecord<K, V>): void {
  const hold = (context as unknown as RuntimeExtras).forwardAtFlush;
  const key: unknown = record.key;
  const id = typeof key === 'string' ? `s${key}` : typeof key === 'number' ? `n${key}` : undefined;
  if (hold === undefined) context.forward(record);
  else hold(id, record as StreamRecord<unknown, unknown>);
}
