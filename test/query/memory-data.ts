import type { OffsetReset, RelationData, Unsubscribe } from '../../src/query/index.js';
import { SqlError } from '../../src/query/index.js';
import type { Relation, RelationRow } from '../../src/topology/index.js';
import { RelationCatalog, Serdes, StreamsBuilder } from '../../src/topology/index.js';

/** Relations held in memory, for the SQL layer's tests: tables in Maps, streams fed by `publish`. */
export class MemoryRelationData implements RelationData {
  readonly tables = new Map<string, Map<string, RelationRow>>();
  readonly #listeners = new Map<string, Set<(row: RelationRow) => void>>();
  readonly history = new Map<string, RelationRow[]>();
  readonly inserts: { relation: string; row: RelationRow }[] = [];
  gets = 0;

  put(table: string, row: RelationRow): void {
    const rows = this.tables.get(table) ?? new Map<string, RelationRow>();
    this.tables.set(table, rows);
    rows.set(row.key as string, row);
  }

  publish(relation: string, row: RelationRow): void {
    this.history.set(relation, [...(this.history.get(relation) ?? []), row]);
    for (const listener of this.#listeners.get(relation) ?? []) listener(row);
  }

  async get(table: Relation, key: string): Promise<RelationRow | undefined> {
    this.gets++;
    return this.tables.get(table.name)?.get(key);
  }

  async *scan(table: Relation): AsyncIterable<readonly RelationRow[]> {
    const rows = [...(this.tables.get(table.name)?.values() ?? [])].sort((a, b) =>
      (a.key as string) < (b.key as string) ? -1 : 1,
    );
    // Pages of 3, so that a scan crosses pages.
    for (let i = 0; i < rows.length; i += 3) yield rows.slice(i, i + 3);
  }

  async subscribe(
    relation: Relation,
    from: OffsetReset,
    onRow: (row: RelationRow) => void,
  ): Promise<Unsubscribe> {
    if (from === 'earliest') for (const row of this.history.get(relation.name) ?? []) onRow(row);
    const listeners = this.#listeners.get(relation.name) ?? new Set();
    this.#listeners.set(relation.name, listeners);
    listeners.add(onRow);
    return () => listeners.delete(onRow);
  }

  async insert(relation: Relation, row: RelationRow): Promise<void> {
    if (relation.name !== 'ALERTS') throw new SqlError('SQL_UNSUPPORTED', `${relation.name} takes no writes`);
    this.inserts.push({ relation: relation.name, row });
  }
}

/** A small catalogue: a stream CLICKS, a table USERS (key ROWKEY) and a table ALERTS. */
export function testCatalog(): RelationCatalog {
  const builder = new StreamsBuilder();
  builder.table('users', { valueSerde: Serdes.Json(), materialized: 'users-store' });
  builder.table('alerts', { valueSerde: Serdes.Json(), materialized: 'alerts-store' });
  const topology = builder.build();
  const row = (key: string | null, value: unknown, timestamp: number) => ({
    key,
    rowtime: timestamp,
    columns: value as Record<string, unknown>,
  });
  return new RelationCatalog(topology)
    .stream({
      name: 'CLICKS',
      columns: [
        ['USER_ID', 'VARCHAR'],
        ['PAGES', 'ARRAY<VARCHAR>'],
        ['MS', 'BIGINT'],
      ],
      topic: 'clicks',
      valueSerde: Serdes.Json(),
      valueFormat: 'JSON',
      row,
    })
    .table({
      name: 'USERS',
      columns: [
        ['NAME', 'VARCHAR'],
        ['VISITS', 'BIGINT'],
        ['TAGS', 'ARRAY<VARCHAR>'],
      ],
      store: 'users-store',
      topic: 'users',
      valueSerde: Serdes.Json(),
      valueFormat: 'JSON',
      row,
    })
    .table({
      name: 'ALERTS',
      columns: [['REASON', 'VARCHAR']],
      store: 'alerts-store',
      topic: 'alerts',
      valueSerde: Serdes.Json(),
      valueFormat: 'JSON',
      row,
    });
}
