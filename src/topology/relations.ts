import type { Serde } from '../serdes/index.js';
import type { Topology } from './topology.js';

/**
 * Relations: an application's stores and streams declared under names, with typed columns, so that a query
 * layer (ksqlDB's `SELECT … FROM <relation>`) can read them without knowing the application. A table is
 * answered from a store by key; a stream, and a table's changes, are read from a topic. The engine only
 * records and checks the declarations: what a row holds is the application's `row` function.
 */

/** A column's type, as ksqlDB names them (`VARCHAR` is read as `STRING`, `INT` as `INTEGER`). */
export type ColumnType =
  | 'BOOLEAN'
  | 'INTEGER'
  | 'BIGINT'
  | 'DOUBLE'
  | 'STRING'
  | { readonly kind: 'ARRAY'; readonly element: ColumnType };

export interface RelationColumn {
  /** Upper-case SQL identifier. */
  readonly name: string;
  readonly type: ColumnType;
}

/** One row of a relation: its key, event time and value columns by (upper-case) name. */
export interface RelationRow {
  /** null for a stream record written without a key. */
  readonly key: string | null;
  /** Epoch ms: a stream record's event time, or a table row's last change. */
  readonly rowtime: number;
  readonly columns: Readonly<Record<string, unknown>>;
}

interface RelationDeclarationBase<V> {
  /** Upper-case SQL identifier, e.g. `PCAP_STATS_01`. */
  readonly name: string;
  /** The key column's name (ksqlDB's `ROWKEY`); its type is STRING. Default `ROWKEY`. */
  readonly keyColumn?: string;
  /** Value columns, with types written as SQL (`BIGINT`, `ARRAY<VARCHAR>`). */
  readonly columns: readonly (readonly [name: string, type: string])[];
  /** The topic a stream is read from, or whose records are a table's changes. */
  readonly topic: string;
  /** How the topic's values are read (a table's store holds values of the same type). */
  readonly valueSerde: Serde<V>;
  /** How shown by DESCRIBE and SHOW: `JSON`, `AVRO`, `KAFKA`. */
  readonly valueFormat: string;
  /**
   * The row of a record: undefined when the record is not one of this relation's (another frame type, say).
   * Values must be of the declared column types, or null; may throw for a record that cannot be read.
   */
  readonly row: (key: string | null, value: V, timestamp: number) => RelationRow | undefined;
}

export interface TableDeclaration<V> extends RelationDeclarationBase<V> {
  /** The store whose entries are the table's rows, keyed as the relation. */
  readonly store: string;
}

export type StreamDeclaration<V> = RelationDeclarationBase<V>;

export interface Relation {
  readonly kind: 'TABLE' | 'STREAM';
  readonly name: string;
  readonly keyColumn: string;
  readonly columns: readonly RelationColumn[];
  readonly topic: string;
  readonly valueFormat: string;
  /** Tables only: the store (or global store) that answers pull queries. */
  readonly store: string | undefined;
  readonly valueSerde: Serde<unknown>;
  readonly row: (key: string | null, value: unknown, timestamp: number) => RelationRow | undefined;
}

/** A sub-topology as LIST QUERIES shows it. */
export interface RelationQuery {
  readonly id: string;
  readonly sources: readonly string[];
  readonly sinks: readonly string[];
  readonly stores: readonly string[];
}

const IDENTIFIER = /^[A-Z_][A-Z0-9_]*$/;
const SCALARS: Readonly<Record<string, ColumnType>> = {
  BOOLEAN: 'BOOLEAN',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'BIGINT',
  DOUBLE: 'DOUBLE',
  STRING: 'STRING',
  VARCHAR: 'STRING',
};

/** Reads a column type written as SQL: `BIGINT`, `VARCHAR`, `ARRAY<DOUBLE>`; throws TypeError otherwise. */
export function parseColumnType(text: string): ColumnType {
  const trimmed = text.trim().toUpperCase();
  const array = /^ARRAY\s*<(.*)>$/.exec(trimmed);
  if (array) return { kind: 'ARRAY', element: parseColumnType(array[1] as string) };
  const scalar = SCALARS[trimmed];
  if (scalar === undefined) throw new TypeError(`not a column type: ${JSON.stringify(text)}`);
  return scalar;
}

/** A type as ksqlDB writes it in a schema: `STRING`, `ARRAY<BIGINT>`. */
export function formatColumnType(type: ColumnType): string {
  return typeof type === 'string' ? type : `ARRAY<${formatColumnType(type.element)}>`;
}

/**
 * The relations of one application, checked as they are declared: names unique and upper-case identifiers,
 * types known, a table's store present in the topology. Frozen once `seal()`ed (the query layer seals it).
 */
export class RelationCatalog {
  readonly #relations = new Map<string, Relation>();
  readonly #topology: Topology;

  constructor(topology: Topology) {
    this.#topology = topology;
  }

  table<V>(declaration: TableDeclaration<V>): this {
    const { store } = declaration;
    if (this.#topology.store(store) === undefined && !this.#topology.globalStore(store)) {
      throw new TypeError(`table ${declaration.name}: the topology has no store ${declaration.store}`);
    }
    return this.#add('TABLE', declaration, declaration.store);
  }

  stream<V>(declaration: StreamDeclaration<V>): this {
    return this.#add('STREAM', declaration, undefined);
  }

  #add<V>(kind: Relation['kind'], declaration: RelationDeclarationBase<V>, store: string | undefined): this {
    const { name } = declaration;
    if (!IDENTIFIER.test(name))
      throw new TypeError(`relation name ${JSON.stringify(name)} is not UPPER_CASE`);
    if (this.#relations.has(name)) throw new TypeError(`relation ${name} is declared twice`);
    const keyColumn = declaration.keyColumn ?? 'ROWKEY';
    const names = new Set<string>([keyColumn, 'ROWTIME']);
    const columns = declaration.columns.map(([column, type]) => {
      if (!IDENTIFIER.test(column) || names.has(column)) {
        throw new TypeError(`${name}: column ${JSON.stringify(column)} is not a new UPPER_CASE name`);
      }
      names.add(column);
      return Object.freeze({ name: column, type: parseColumnType(type) });
    });
    this.#relations.set(
      name,
      Object.freeze({
        kind,
        name,
        keyColumn,
        columns: Object.freeze(columns),
        topic: declaration.topic,
        valueFormat: declaration.valueFormat,
        store,
        valueSerde: declaration.valueSerde as Serde<unknown>,
        row: declaration.row as Relation['row'],
      }),
    );
    return this;
  }

  /** The relation of this name (case-insensitive), or undefined. */
  get(name: string): Relation | undefined {
    return this.#relations.get(name.toUpperCase());
  }

  /** Every relation, in the order declared. */
  list(): readonly Relation[] {
    return [...this.#relations.values()];
  }

  /** The topology's sub-topologies, as the queries that maintain the relations. */
  queries(): readonly RelationQuery[] {
    return this.#topology.subtopologies().map((sub) => ({
      id: `SUBTOPOLOGY_${sub.id}`,
      sources: sub.sources.flatMap((source) => source.topics),
      sinks: sub.sinks.map((sink) => sink.topic),
      stores: sub.stores.map((store) => store.name),
    }));
  }
}
