import { setImmediate } from 'node:timers/promises';
import type { RelationRow } from '../topology/relations.js';
import { SqlError } from './errors.js';
import type { SelectPlan } from './plan.js';

/** A row a scan found: its key (to merge the parts in key order) and its projected columns. */
export interface ScanRow {
  readonly key: string;
  readonly columns: unknown[];
}

/**
 * One instance's part of a scan (ksqlDB's scatter-gather): the rows of its own data that the WHERE keeps,
 * projected, in key order (UTF-8 bytes), at most LIMIT of them; so only matching rows cross the network.
 */
export interface ScanPart {
  readonly rows: readonly ScanRow[];
  /** Rows read. */
  readonly read: number;
  /** Whether it stopped past `maxScanRows` read (a scan without LIMIT): the query is refused. */
  readonly exceeded: boolean;
}

/**
 * Rows a part reads in one turn of the event loop: the rows may be in memory, and a scan of 100,000 of them
 * in one go would hold up the key lookups that come meanwhile.
 */
const ROWS_PER_TURN = 4096;

const byKeyBytes = (a: { bytes: Buffer }, b: { bytes: Buffer }) => Buffer.compare(a.bytes, b.bytes);

/** The first `limit` of rows, by key in UTF-8 byte order (the order of the stores and of `scan`). */
function firstByKey(rows: readonly ScanRow[], limit: number | undefined): ScanRow[] {
  const keyed = rows.map((row) => ({ row, bytes: Buffer.from(row.key) }));
  keyed.sort(byKeyBytes);
  return keyed.slice(0, limit).map(({ row }) => row);
}

/**
 * Runs a scan's WHERE and projection over one instance's rows, in any order, giving the event loop a turn
 * every ROWS_PER_TURN rows (rows read from live copies may change meanwhile, as a page-by-page read sees). Without LIMIT it stops past
 * `maxScanRows` read (the whole query would read more); with LIMIT n it reads every row and keeps the n
 * first by key, so that the merged answer is the one a scan in key order would give.
 */
export async function scanPart(
  plan: SelectPlan,
  rows: Iterable<RelationRow>,
  maxScanRows: number,
): Promise<ScanPart> {
  const limit = plan.limit;
  let read = 0;
  let kept: ScanRow[] = [];
  // One row set for every row: expressions read it and keep nothing of it, and a scan reads many rows.
  const set: (RelationRow | undefined)[] = [undefined];
  for (const row of rows) {
    if (++read > maxScanRows && limit === undefined) return { rows: [], read, exceeded: true };
    if (read % ROWS_PER_TURN === 0) await setImmediate();
    set[0] = row;
    if (plan.where !== undefined && plan.where.evaluate(set) !== true) continue;
    kept.push({ key: row.key as string, columns: plan.project(set) });
    // With a LIMIT, memory stays bounded: cut back to the first `limit` whenever twice that many are held.
    if (limit !== undefined && kept.length >= 2 * limit + 1024) kept = firstByKey(kept, limit);
  }
  return { rows: firstByKey(kept, limit), read, exceeded: false };
}

/**
 * Every instance's part merged into the answer, in key order and cut at LIMIT. Refused (SQL_LIMIT_EXCEEDED)
 * when more than `maxScanRows` rows were read in all, unless LIMIT rows were found.
 */
export function mergeScanParts(
  plan: SelectPlan,
  parts: readonly ScanPart[],
  maxScanRows: number,
): unknown[][] {
  const read = parts.reduce((sum, part) => sum + part.read, 0);
  const rows = firstByKey(
    parts.flatMap((part) => part.rows),
    plan.limit,
  );
  const bounded = plan.limit !== undefined && rows.length >= plan.limit;
  if (parts.some((part) => part.exceeded) || (read > maxScanRows && !bounded)) {
    throw new SqlError(
      'SQL_LIMIT_EXCEEDED',
      `the query would read more than ${maxScanRows} rows of ${plan.from.name}; look rows up by ${plan.from.keyColumn}, or add a LIMIT`,
    );
  }
  return rows.map((row) => row.columns);
}
