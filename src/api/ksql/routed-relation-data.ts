import type { Kafka } from 'kafkajs';
import { type OffsetReset, type RelationData, SqlError, type Unsubscribe } from '../../query/index.js';
import type { ReadRecord, Relation, RelationRow } from '../../topology/index.js';
import { ApiError } from '../errors.js';
import type { KeyRouter } from '../routing.js';
import type { ScatterScan } from './scatter-scan.js';
import { TopicFeed } from './topic-feed.js';

/** Writes a row of a relation that takes INSERTs; resolves once durable. */
export type RelationWriter = (row: RelationRow) => Promise<void>;

export interface RoutedRelationDataOptions {
  /** Key lookups and pages of the stores, wherever they live. */
  readonly router: KeyRouter;
  /** Where push queries read their topics. */
  readonly kafka: Kafka;
  /** The relations that take INSERTs, by name. */
  readonly writers?: Readonly<Record<string, RelationWriter>>;
  /** Entries a scan asks every instance for at a time, 1 to 10,000. Default 5,000. */
  readonly scanPageSize?: number;
  /** When set, scans run on every instance over its own data (gatherScan) rather than page by page. */
  readonly scatter?: ScatterScan;
}

/**
 * The relations' data as an instance of the API reads it: a table's key through the KeyRouter (so the
 * instance that owns the key answers, as for the REST routes), a scan run by every instance over its own data
 * (ScatterScan) or else read page by page from every instance, and
 * a topic followed from this instance for each push query.
 */
export class RoutedRelationData implements RelationData {
  readonly #options: RoutedRelationDataOptions;
  readonly gatherScan?: RelationData['gatherScan'];

  constructor(options: RoutedRelationDataOptions) {
    this.#options = options;
    const { scatter } = options;
    if (scatter !== undefined)
      this.gatherScan = (plan, maxScanRows, signal) => scatter.gather(plan, maxScanRows, signal);
  }

  async get(table: Relation, key: string): Promise<RelationRow | undefined> {
    const answer = await unavailableAsSql(() => this.#options.router.get<unknown>(storeOf(table), key));
    return answer.value === undefined ? undefined : table.row(key, answer.value, 0);
  }

  async *scan(table: Relation, signal: AbortSignal): AsyncIterable<readonly RelationRow[]> {
    const limit = this.#options.scanPageSize ?? 5000;
    let after: string | undefined;
    for (;;) {
      if (signal.aborted) return;
      const page = await unavailableAsSql(() =>
        this.#options.router.page<unknown>(
          storeOf(table),
          after === undefined ? { limit } : { limit, after },
        ),
      );
      const rows: RelationRow[] = [];
      for (const { key, value } of page.entries) {
        const row = table.row(key, value, 0);
        if (row !== undefined) rows.push(row);
      }
      yield rows;
      if (page.next === null || page.next === after) return;
      after = page.next;
    }
  }

  async subscribe(
    relation: Relation,
    from: OffsetReset,
    onRow: (row: RelationRow) => void,
    onEnd: (error?: Error) => void,
  ): Promise<Unsubscribe> {
    const onRecords = (records: readonly ReadRecord[]) => {
      for (const record of records) {
        const row = rowOf(relation, record);
        if (row !== undefined) onRow(row);
      }
    };
    const feed = new TopicFeed({ kafka: this.#options.kafka, topic: relation.topic, from, onRecords, onEnd });
    try {
      await feed.start();
    } catch (error) {
      throw new SqlError(
        'SQL_UNAVAILABLE',
        `cannot read ${relation.topic}: ${(error as Error).message}`,
        undefined,
        {
          cause: error,
        },
      );
    }
    return () => void feed.close();
  }

  async insert(relation: Relation, row: RelationRow): Promise<void> {
    const writer = this.#options.writers?.[relation.name];
    if (writer === undefined) {
      const writable = Object.keys(this.#options.writers ?? {}).join(', ') || 'none';
      throw new SqlError(
        'SQL_UNSUPPORTED',
        `${relation.name} takes no INSERTs here; those that do: ${writable}`,
      );
    }
    await writer(row);
  }
}

function storeOf(table: Relation): string {
  if (table.store === undefined)
    throw new SqlError('SQL_UNSUPPORTED', `${table.name} is a stream, not a table`);
  return table.store;
}

/** A record's row, or undefined for a tombstone, a record of another kind, or one that cannot be read. */
function rowOf(relation: Relation, record: ReadRecord): RelationRow | undefined {
  if (record.value === null) return undefined;
  try {
    const value = relation.valueSerde.deserialize(record.value, relation.topic);
    if (value === null || value === undefined) return undefined;
    return relation.row(
      record.key === null ? null : record.key.toString('utf8'),
      value,
      Number(record.timestamp),
    );
  } catch {
    // Unreadable records are the topology's DLQ's to account for; a query skips them.
    return undefined;
  }
}

async function unavailableAsSql<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ApiError && error.statusCode >= 500) {
      throw new SqlError('SQL_UNAVAILABLE', error.message, undefined, { cause: error });
    }
    throw error;
  }
}
