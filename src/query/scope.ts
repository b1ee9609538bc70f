import type { ColumnType, Relation, RelationRow } from '../topology/relations.js';
import { SqlError } from './errors.js';
import { positionAt } from './lexer.js';

/** The rows an expression is evaluated on: one per relation of the statement (undefined: LEFT JOIN miss). */
export type RowSet = readonly (RelationRow | undefined)[];

/** A relation as the statement names it. */
export interface ScopeSource {
  /** The alias, or the relation's name when it has none. */
  readonly alias: string;
  readonly relation: Relation;
}

/** A column an expression reads. */
export interface ResolvedColumn {
  readonly source: number;
  readonly name: string;
  readonly type: ColumnType;
  readonly read: (row: RelationRow) => unknown;
}

/** The relations of a statement, for resolving column names in it. */
export class Scope {
  constructor(
    readonly sources: readonly ScopeSource[],
    readonly text: string,
  ) {}

  error(code: SqlError['code'], message: string, offset: number): SqlError {
    return new SqlError(code, message, positionAt(this.text, offset));
  }

  /** The columns of a source, key and ROWTIME first as ksqlDB lists them for `SELECT *`. */
  columnsOf(source: number): ResolvedColumn[] {
    const { relation } = this.sources[source] as ScopeSource;
    return [
      columnOf(source, relation, relation.keyColumn) as ResolvedColumn,
      ...relation.columns.map((column) => columnOf(source, relation, column.name) as ResolvedColumn),
    ];
  }

  resolve(qualifier: string | undefined, name: string, offset: number): ResolvedColumn {
    if (qualifier !== undefined) {
      const source = this.sources.findIndex((s) => s.alias === qualifier || s.relation.name === qualifier);
      if (source < 0)
        throw this.error('SQL_UNKNOWN_COLUMN', `${qualifier} is not a relation of this statement`, offset);
      const column = columnOf(source, (this.sources[source] as ScopeSource).relation, name);
      if (column === undefined) {
        throw this.error('SQL_UNKNOWN_COLUMN', `${qualifier} has no column ${name}`, offset);
      }
      return column;
    }
    const found: ResolvedColumn[] = [];
    this.sources.forEach((s, source) => {
      const column = columnOf(source, s.relation, name);
      if (column !== undefined) found.push(column);
    });
    if (found.length === 0) {
      const names = this.sources.map((s) => s.relation.name).join(' or ');
      throw this.error('SQL_UNKNOWN_COLUMN', `${names} has no column ${name}`, offset);
    }
    if (found.length > 1) {
      throw this.error(
        'SQL_UNKNOWN_COLUMN',
        `column ${name} is ambiguous: qualify it with a relation's alias`,
        offset,
      );
    }
    return found[0] as ResolvedColumn;
  }
}

function columnOf(source: number, relation: Relation, name: string): ResolvedColumn | undefined {
  if (name === relation.keyColumn) return { source, name, type: 'STRING', read: (row) => row.key };
  if (name === 'ROWTIME') return { source, name, type: 'BIGINT', read: (row) => row.rowtime };
  const column = relation.columns.find((c) => c.name === name);
  if (column === undefined) return undefined;
  return { source, name, type: column.type, read: (row) => row.columns[name] ?? null };
}
