import type { FastifyInstance } from 'fastify';
import {
  type ScanPart,
  type SelectPlan,
  type SqlEngine,
  SqlError,
  type Statement,
  scanPart,
} from '../../query/index.js';
import type { ActiveEntriesSource, Relation, RelationRow, StreamsEngine } from '../../topology/index.js';
import { ApiError } from '../errors.js';
import { type Coverage, checkCoverage } from '../filtered-entries.js';

/** Where every instance answers for its own part of a scan; never forwarded again. */
export const INTERNAL_SCAN_PATH = '/internal/ksql/scan';

/** What a scan reads of the engine: the group's members, and this instance's active copies. */
export type ScanSource = Pick<
  StreamsEngine,
  'metadataForAllStreamsClients' | 'localEntries' | 'localStoreLags' | 'isGlobalStore'
> &
  Partial<ActiveEntriesSource>;

export interface ScatterScanOptions {
  readonly streams: ScanSource;
  /** This instance's application.server (host:port). */
  readonly self: string;
  /** Whether every active task here is restored: this instance's part is complete only then. */
  readonly isReady: () => boolean;
  /** How long another instance may take for its part, in ms. Default 5,000. */
  readonly timeoutMs?: number;
}

/** A part of a scan with the partitions it read, as the internal route answers. */
export interface CoveredScanPart extends ScanPart, Coverage {}

const unavailable = (message: string) => new SqlError('SQL_UNAVAILABLE', `${message}; try again shortly`);

/**
 * Scans as ksqlDB runs them (scatter-gather): every instance evaluates the statement over its own active
 * copies — at once from the engine's mirror when it can, else read from the engine — and only the matching
 * rows cross the network. The instance asked gathers the parts and checks that they cover each partition of
 * the table once, so that a rebalance in between can never make it miss or repeat rows.
 */
export class ScatterScan {
  readonly #options: ScatterScanOptions;

  constructor(options: ScatterScanOptions) {
    this.#options = options;
  }

  /** This instance's part of the scan of `plan`; SQL_UNAVAILABLE while it restores. */
  async ownPart(plan: SelectPlan, maxScanRows: number): Promise<CoveredScanPart> {
    const { streams } = this.#options;
    const table = plan.from;
    const store = table.store as string;
    const global = streams.isGlobalStore(store);
    // A global store is whole here and read as is; a partitioned one's part is complete only once restored.
    if (!global && !this.#options.isReady()) throw unavailable('this instance is restoring');
    const active = global ? undefined : streams.activeEntries?.<string, unknown>(store);
    if (active !== undefined) {
      const part = await scanPart(plan, rowsOf(table, active.entries), maxScanRows);
      return { ...part, partitions: active.partitions, partitionCount: active.partitionCount };
    }
    const rows: RelationRow[] = [];
    try {
      for await (const { key, value } of streams.localEntries<string, unknown>(store)) {
        const row = table.row(key, value, 0);
        if (row !== undefined) rows.push(row);
        // Past the cap without LIMIT the part is refused anyway (scanPart says so): no need to hold more.
        if (plan.limit === undefined && rows.length > maxScanRows) break;
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'INVALID_STATE_STORE' || code === 'STORE_NOT_OPEN')
        throw unavailable(`this instance cannot read its part of ${table.name} now`);
      throw error;
    }
    const partitions = global
      ? [0]
      : streams
          .localStoreLags()
          .filter((lag) => lag.store === store && lag.role === 'active')
          .map((lag) => lag.partition);
    return { ...(await scanPart(plan, rows, maxScanRows)), partitions, partitionCount: global ? 1 : null };
  }

  /** Every instance's part: this one's here, the others' over the internal route, in parallel. */
  async gather(plan: SelectPlan, maxScanRows: number, signal: AbortSignal): Promise<readonly ScanPart[]> {
    const { streams, self } = this.#options;
    // A global store is whole here: the part is this instance's alone.
    if (streams.isGlobalStore(plan.from.store as string)) return [await this.ownPart(plan, maxScanRows)];
    const hosts = streams.metadataForAllStreamsClients().map((client) => client.hostInfo);
    if (hosts.length === 0 || hosts.some((host) => host === null))
      throw unavailable('the instances are being reassigned');
    const parts = await Promise.all(
      (hosts as string[]).map((host) =>
        host === self ? this.ownPart(plan, maxScanRows) : this.#remotePart(host, plan, signal),
      ),
    );
    try {
      checkCoverage(parts, plan.from.name);
    } catch (error) {
      throw new SqlError('SQL_UNAVAILABLE', (error as Error).message, undefined, { cause: error });
    }
    return parts;
  }

  async #remotePart(host: string, plan: SelectPlan, signal: AbortSignal): Promise<CoveredScanPart> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 5000);
    let response: Response;
    try {
      response = await fetch(`http://${host}${INTERNAL_SCAN_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // The statement as the client wrote it: the other instance parses and plans it itself.
        body: JSON.stringify({ ksql: plan.statement.text }),
        signal: AbortSignal.any([signal, timeout]),
      });
      if (response.status === 200) return (await response.json()) as CoveredScanPart;
      await response.body?.cancel();
    } catch {
      if (signal.aborted) throw signal.reason;
      throw unavailable(`instance ${host} did not answer for its part of ${plan.from.name}`);
    }
    throw unavailable(`instance ${host} cannot scan its part of ${plan.from.name} now`);
  }
}

function* rowsOf(
  table: Relation,
  entries: Iterable<{ key: string; value: unknown }>,
): Generator<RelationRow> {
  for (const { key, value } of entries) {
    const row = table.row(key, value, 0);
    if (row !== undefined) yield row;
  }
}

/**
 * The internal route: this instance's part of a scan, for the instance that gathers them. It runs the
 * statement's own text (parsed and planned here, never spliced into anything) over this instance's data only.
 */
export function registerInternalScanRoute(
  app: FastifyInstance,
  options: { readonly engine: SqlEngine; readonly scan: ScatterScan },
): void {
  const { engine, scan } = options;
  app.post<{ Body: { ksql: string } }>(
    INTERNAL_SCAN_PATH,
    {
      // Other instances ask on their clients' behalf: those clients were counted where they arrived.
      config: { rateLimit: false },
      // As /query takes it: a statement the SQL layer accepts, however its text is escaped in JSON.
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        hide: true,
        body: {
          type: 'object',
          properties: { ksql: { type: 'string', maxLength: engine.limits.maxStatementLength } },
          required: ['ksql'],
        },
      },
    },
    async (request) => {
      try {
        const [statement, ...more] = engine.parse(request.body.ksql) as [Statement, ...Statement[]];
        if (more.length > 0 || statement.kind !== 'select')
          throw new SqlError('SQL_UNSUPPORTED', 'a part of a scan is one SELECT');
        const plan = engine.plan(statement);
        if (plan.mode !== 'pull' || plan.keys !== undefined || plan.from.store === undefined)
          throw new SqlError('SQL_UNSUPPORTED', 'a part of a scan is a pull query that scans a table');
        return await scan.ownPart(plan, engine.limits.maxScanRows);
      } catch (error) {
        if (!(error instanceof SqlError)) throw error;
        if (error.code === 'SQL_UNAVAILABLE')
          throw new ApiError('SERVICE_UNAVAILABLE', error.message, { retryAfterSeconds: 1 });
        throw new ApiError('INVALID_REQUEST', error.message);
      }
    },
  );
}
