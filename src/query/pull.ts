import type { RelationRow } from '../topology/relations.js';
import { SqlError } from './errors.js';
import type { SelectPlan } from './plan.js';
import type { RelationData } from './relation-data.js';
import { mergeScanParts } from './scan-parts.js';

export interface PullLimits {
  /** Rows a scan may read before it is refused (bounded by LIMIT first). */
  readonly maxScanRows: number;
  /** ms a pull query may take. */
  readonly timeoutMs: number;
}

/**
 * Runs a pull query: key lookups when the plan has keys (each routed to its owner), else a scan of every
 * instance (run by each over its own rows when the data can, else read page by page) that stops at LIMIT
 * matching rows, and fails past `maxScanRows` read or `timeoutMs`.
 */
export async function runPull(
  plan: SelectPlan,
  data: RelationData,
  limits: PullLimits,
  signal?: AbortSignal,
): Promise<unknown[][]> {
  // Key lookups go without the timer, which would cost each of the many short ones a controller and a
  // timeout: each lookup is bounded by the router's own timeouts (2 s a hop).
  if (plan.keys !== undefined) return lookups(plan, plan.keys, data, signal ?? NEVER);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new SqlError('SQL_TIMEOUT', `the query took longer than ${limits.timeoutMs} ms`));
  }, limits.timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await scan(plan, data, limits, controller.signal);
  } catch (error) {
    if (timedOut && !(error instanceof SqlError && error.code !== 'SQL_UNAVAILABLE')) {
      throw new SqlError(
        'SQL_TIMEOUT',
        `the query took longer than ${limits.timeoutMs} ms; look rows up by key, or add a LIMIT`,
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

const NEVER = new AbortController().signal;

function keep(plan: SelectPlan, row: RelationRow): boolean {
  return plan.where === undefined || plan.where.evaluate([row]) === true;
}

async function lookups(
  plan: SelectPlan,
  keys: readonly string[],
  data: RelationData,
  signal: AbortSignal,
): Promise<unknown[][]> {
  const found = await Promise.all(keys.map((key) => data.get(plan.from, key, signal)));
  const rows: unknown[][] = [];
  for (const row of found) {
    if (plan.limit !== undefined && rows.length >= plan.limit) break;
    if (row !== undefined && keep(plan, row)) rows.push(plan.project([row]));
  }
  return rows;
}

async function scan(
  plan: SelectPlan,
  data: RelationData,
  limits: PullLimits,
  signal: AbortSignal,
): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  if (plan.limit === 0) return rows;
  if (data.gatherScan !== undefined)
    return mergeScanParts(plan, await data.gatherScan(plan, limits.maxScanRows, signal), limits.maxScanRows);
  let read = 0;
  for await (const page of data.scan(plan.from, signal)) {
    for (const row of page) {
      if (++read > limits.maxScanRows) {
        throw new SqlError(
          'SQL_LIMIT_EXCEEDED',
          `the query would read more than ${limits.maxScanRows} rows of ${plan.from.name}; look rows up by ${plan.from.keyColumn}, or add a LIMIT`,
        );
      }
      if (keep(plan, row)) {
        rows.push(plan.project([row]));
        if (plan.limit !== undefined && rows.length >= plan.limit) return rows;
      }
    }
    if (signal.aborted) throw signal.reason;
  }
  return rows;
}
