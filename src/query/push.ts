import type { RelationRow } from '../topology/relations.js';
import { SqlError } from './errors.js';
import type { SelectPlan } from './plan.js';
import type { OffsetReset, RelationData } from './relation-data.js';
import type { RowSet } from './scope.js';

/** Where a push query's rows go. */
export interface PushSink {
  row(values: unknown[]): void;
  /** Called once: LIMIT reached, or the query failed (its input ended, or a join could not be looked up). */
  end(reason: 'limit' | 'error', error?: Error): void;
}

/** Rows waiting for their join lookups before the query gives up on a client or a table this slow. */
const MAX_PENDING_ROWS = 10_000;

/**
 * Starts a push query: each row of the relation's topic from `from` on goes through the join (a lookup of
 * the table's current state, in arrival order), the WHERE and the projection to the sink, until LIMIT rows
 * were sent or the returned function is called.
 */
export async function startPush(
  plan: SelectPlan,
  data: RelationData,
  from: OffsetReset,
  sink: PushSink,
): Promise<() => void> {
  let done = false;
  let sent = 0;
  let pending = 0;
  let queue: Promise<void> = Promise.resolve();
  const controller = new AbortController();
  let unsubscribe: (() => void) | undefined;
  const finish = (reason: 'limit' | 'error', error?: Error) => {
    if (done) return;
    done = true;
    controller.abort();
    unsubscribe?.();
    sink.end(reason, error);
  };
  const emit = (rows: RowSet) => {
    if (done || (plan.where !== undefined && plan.where.evaluate(rows) !== true)) return;
    sink.row(plan.project(rows));
    if (plan.limit !== undefined && ++sent >= plan.limit) finish('limit');
  };
  const { join } = plan;
  const onRow = (row: RelationRow) => {
    if (done) return;
    if (join === undefined) {
      emit([row]);
      return;
    }
    if (++pending > MAX_PENDING_ROWS) {
      finish(
        'error',
        new SqlError(
          'SQL_LIMIT_EXCEEDED',
          `more than ${MAX_PENDING_ROWS} rows waited for their join lookups`,
        ),
      );
      return;
    }
    queue = queue.then(async () => {
      pending--;
      if (done) return;
      const key = join.key.evaluate([row]);
      const other = typeof key === 'string' ? await data.get(join.table, key, controller.signal) : undefined;
      if (other !== undefined || join.type === 'LEFT') emit([row, other]);
    });
    queue = queue.catch((error: Error) => finish('error', error));
  };
  if (plan.limit === 0) {
    finish('limit');
    return () => {};
  }
  unsubscribe = await data.subscribe(plan.from, from, onRow, (error) =>
    finish('error', error ?? new SqlError('SQL_UNAVAILABLE', `the feed of ${plan.from.name} ended`)),
  );
  if (done) unsubscribe();
  return () => {
    done = true;
    controller.abort();
    unsubscribe?.();
  };
}
