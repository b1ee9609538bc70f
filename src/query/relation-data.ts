import type { Relation, RelationRow } from '../topology/relations.js';
import type { SelectPlan } from './plan.js';
import type { ScanPart } from './scan-parts.js';

/** Where a push query starts: at the end of the topic (what happens from now), or at its beginning. */
export type OffsetReset = 'latest' | 'earliest';

/** Removes a subscription; calling it again does nothing. */
export type Unsubscribe = () => void;

/**
 * How the SQL layer reads and writes the relations' data; the application's server implements it (routing
 * key lookups to the instance that owns the key, scanning every instance, reading topics).
 */
export interface RelationData {
  /** A table's row by key, or undefined when the key is not there. Throws SqlError SQL_UNAVAILABLE when no copy can answer. */
  get(table: Relation, key: string, signal: AbortSignal): Promise<RelationRow | undefined>;
  /**
   * A table's rows from every instance in key order, a page (an array of rows) at a time, until the caller
   * stops or the signal aborts.
   */
  scan(table: Relation, signal: AbortSignal): AsyncIterable<readonly RelationRow[]>;
  /**
   * Optional, and preferred to `scan` when present: a scan run where the data lives. Each instance runs
   * `scanPart` over its own rows, so only matching rows cross the network; resolves with every instance's
   * part, together covering each partition of the table once. Throws SqlError SQL_UNAVAILABLE otherwise.
   */
  gatherScan?(plan: SelectPlan, maxScanRows: number, signal: AbortSignal): Promise<readonly ScanPart[]>;
  /**
   * Calls `onRow` for each row of the relation's topic from `from` on, in order per partition, until
   * unsubscribed; `onEnd` if the feed fails for good. Rejects when it cannot start.
   */
  subscribe(
    relation: Relation,
    from: OffsetReset,
    onRow: (row: RelationRow) => void,
    onEnd: (error?: Error) => void,
  ): Promise<Unsubscribe>;
  /** Writes a row (INSERT INTO … VALUES); resolves once durable. Throws SqlError SQL_UNSUPPORTED where writes are not taken. */
  insert(relation: Relation, row: RelationRow): Promise<void>;
}
