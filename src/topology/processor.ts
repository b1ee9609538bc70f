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
  /** The source record being processed; undefined outside process() (in a punctuator, say). */
  recordMetadata(): RecordMetadata | undefined;
  /**
   * Calls `punctuator` every `intervalMs`, of the task's stream time ('stream-time': advanced by records'
   * timestamps, first run with the first record, then on multiples of the interval) or of the wall clock
   * ('wall-clock-time': checked at every commit, so no finer than commit.interval.ms). A punctuator may
   * forward records and use stores as process() does. Call from init().
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
  /** The task's stream time: the largest record timestamp it has processed; -1 before any. */
  currentStreamTimeMs(): number;
  /** The wall-clock time, as the engine (or the test driver's mock clock) sees it. */
  currentSystemTimeMs(): number;
  /**
   * Counts a record this processor drops by design (later than a window's grace, or suppressed), in
   * `probestream_dropped_records_total{node, reason}`.
   */
  recordDropped(reason: string): void;
}

/** Which clock a punctuator follows. */
export type PunctuationType = 'stream-time' | 'wall-clock-time';

/** Called with the time (of the clock it follows) at which it runs. */
export type Punctuator = (timestamp: number) => void;

/** What `schedule` answers: cancel() stops the punctuator. */
export interface Cancellable {
  cancel(): void;
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
