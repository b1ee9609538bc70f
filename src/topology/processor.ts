import type { StateStore } from '../stores/index.js';
import type { RecordMetadata, StreamRecord, TaskId } from './record.js';

/**
 * What a processor can do while it runs in a task. Everything is synchronous: a record passes through a
 * whole sub-topology without an await, and output is collected and written at the next commit.
 */
export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string;
  readonly taskId: TaskId;
  /** Sends a record to every child, or to the named one. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  /** A store connected to this processor (addStateStore / connectProcessorAndStateStores). */
  getStateStore<S extends StateStore>(name: string): S;
  /** The source record being processed; undefined outside process(). */
  recordMetadata(): RecordMetadata | undefined;
}

/**
 * The processor API. A task makes its own instance from the supplier, calls init once, process per
 * record in offset order, and close once (close need not be idempotent: the task calls it once).
 */
export interface Processor<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** Makes a new processor for each task. */
export type ProcessorSupplier<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> = () => Processor<
  KIn,
  VIn,
  KOut,
  VOut
>;
