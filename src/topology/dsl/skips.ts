import type { ProcessorContext } from '../processor.js';

/** The runtime's context can count records that an operation passes over (a null key in a join, say). */
interface SkipCounting {
  recordSkipped?(reason: string): void;
}

/**
 * Records an operation cannot handle are passed over, as Kafka Streams does, but never silently: the
 * runtime counts them by node and reason in `probestream_skipped_records_total`.
 */
export function skip(context: ProcessorContext<unknown, unknown>, reason: string): void {
  (context as SkipCounting).recordSkipped?.(reason);
}

/** Records an operation drops by design (a record later than its window's grace): `probestream_dropped_records_total`. */
export function drop(context: ProcessorContext<unknown, unknown>, reason: string): void {
  context.recordDropped(reason);
}
