import type { Relation, RelationCatalog } from '../topology/relations.js';
import type { Expression, RelationReference, SelectStatement } from './ast.js';
import { SqlError } from './errors.js';
import { type CompiledExpression, compileCondition, compileExpression } from './expressions.js';
import { positionAt } from './lexer.js';
import { type RowSet, Scope } from './scope.js';
import { formatType, type SqlType } from './types.js';

/** A column of a query's result. */
export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
  /** Whether it is the relation's key, selected as is (ksqlDB marks it KEY in a pull query's schema). */
  readonly key: boolean;
}

/** A SELECT checked against the catalogue and compiled, ready to run as a pull or a push query. */
export interface SelectPlan {
  readonly statement: SelectStatement;
  readonly mode: 'pull' | 'push';
  readonly from: Relation;
  readonly join:
    | {
        readonly type: 'INNER' | 'LEFT';
        readonly table: Relation;
        /** The key of the joined table's row, computed from the left row. */
        readonly key: CompiledExpression;
      }
    | undefined;
  readonly where: CompiledExpression | undefined;
  readonly columns: readonly ResultColumn[];
  readonly project: (rows: RowSet) => unknown[];
  readonly limit: number | undefined;
  /** Pull queries answered by key: the keys looked up (each once). Undefined: a scan. */
  readonly keys: readonly string[] | undefined;
}

function relationOf(catalog: RelationCatalog, reference: RelationReference, text: string): Relation {
  const relation = catalog.get(reference.name);
  if (relation === undefined) {
    const known = catalog
      .list()
      .map((r) => r.name)
      .join(', ');
    throw new SqlError(
      'SQL_UNKNOWN_RELATION',
      `${reference.name} does not exist; the relations are ${known}`,
      positionAt(text, reference.offset),
    );
  }
  return relation;
}

/** Plans a SELECT: resolves relations and columns, checks types, and chooses key lookups or a scan. */
export function planSelect(statement: SelectStatement, catalog: RelationCatalog): SelectPlan {
  const { text } = statement;
  const from = relationOf(catalog, statement.from, text);
  const mode = statement.emitChanges ? 'push' : 'pull';
  const sources = [{ alias: statement.from.alias ?? from.name, relation: from }];
  const fail = (code: SqlError['code'], message: string, offset: number) =>
    new SqlError(code, message, positionAt(text, offset));
  if (mode === 'pull' && from.kind === 'STREAM') {
    throw fail(
      'SQL_UNSUPPORTED',
      `${from.name} is a stream: a query on it needs EMIT CHANGES (pull queries read tables)`,
      statement.from.offset,
    );
  }
  let join: SelectPlan['join'];
  if (statement.join !== undefined) {
    if (mode === 'pull')
      throw fail(
        'SQL_UNSUPPORTED',
        'pull queries do not join; add EMIT CHANGES for a push query',
        statement.join.offset,
      );
    const table = relationOf(catalog, statement.join.relation, text);
    if (table.kind !== 'TABLE')
      throw fail(
        'SQL_UNSUPPORTED',
        `only a table can be joined here, and ${table.name} is a stream`,
        statement.join.relation.offset,
      );
    sources.push({ alias: statement.join.relation.alias ?? table.name, relation: table });
    if (sources[0]?.alias === sources[1]?.alias)
      throw fail('SQL_PARSE_ERROR', 'the two relations need different aliases', statement.join.offset);
    const scope = new Scope(sources, text);
    const key =
      joinKey(scope, statement.join.left, statement.join.right) ??
      joinKey(scope, statement.join.right, statement.join.left);
    if (key === undefined) {
      throw fail(
        'SQL_UNSUPPORTED',
        `the join condition must be <expression> = ${sources[1]?.alias}.${table.keyColumn}, the joined table's key`,
        statement.join.offset,
      );
    }
    join = { type: statement.join.type, table, key };
  }
  const scope = new Scope(sources, text);
  const where = statement.where === undefined ? undefined : compileCondition(statement.where, scope, 'WHERE');
  const { columns, project } = projection(statement, scope, mode);
  const keys =
    mode === 'pull' && statement.where !== undefined ? keyLookups(statement.where, from, scope) : undefined;
  return { statement, mode, from, join, where, columns, project, limit: statement.limit, keys };
}

/** `probe = TABLE.ROWKEY`: the compiled `probe` side when `key` is the joined table's key column. */
function joinKey(scope: Scope, probe: Expression, key: Expression): CompiledExpression | undefined {
  if (key.kind !== 'column') return undefined;
  const resolved = scope.resolve(key.qualifier, key.name, key.offset);
  const table = scope.sources[1]?.relation;
  if (resolved.source !== 1 || resolved.name !== table?.keyColumn) return undefined;
  const compiled = compileExpression(probe, new Scope(scope.sources.slice(0, 1), scope.text));
  if (compiled.type !== 'STRING' && compiled.type !== 'NULL') {
    throw scope.error(
      'SQL_TYPE_ERROR',
      `the join key must be a STRING, not ${formatType(compiled.type)}`,
      probe.offset,
    );
  }
  return compiled;
}

/** The keys of `WHERE ROWKEY = 'k'` or `ROWKEY IN ('a', 'b')`, alone or ANDed with other conditions. */
function keyLookups(where: Expression, table: Relation, scope: Scope): string[] | undefined {
  const isKey = (e: Expression) =>
    e.kind === 'column' && scope.resolve(e.qualifier, e.name, e.offset).name === table.keyColumn;
  const literal = (e: Expression) =>
    e.kind === 'literal' && typeof e.value === 'string' ? e.value : undefined;
  if (where.kind === 'binary' && where.operator === 'AND') {
    return keyLookups(where.left, table, scope) ?? keyLookups(where.right, table, scope);
  }
  if (where.kind === 'binary' && where.operator === '=') {
    if (isKey(where.left) && literal(where.right) !== undefined) return [literal(where.right) as string];
    if (isKey(where.right) && literal(where.left) !== undefined) return [literal(where.left) as string];
  }
  if (where.kind === 'in' && !where.negated && isKey(where.operand)) {
    const keys = where.list.map(literal);
    if (keys.every((k) => k !== undefined)) return [...new Set(keys as string[])];
  }
  return undefined;
}

function projection(
  statement: SelectStatement,
  scope: Scope,
  mode: 'pull' | 'push',
): Pick<SelectPlan, 'columns' | 'project'> {
  const columns: ResultColumn[] = [];
  const parts: ((rows: RowSet) => unknown)[] = [];
  let generated = 0;
  const joined = scope.sources.length > 1;
  for (const item of statement.items) {
    if (item.kind === 'all') {
      scope.sources.forEach((source, index) => {
        if (
          item.qualifier !== undefined &&
          item.qualifier !== source.alias &&
          item.qualifier !== source.relation.name
        )
          return;
        for (const column of scope.columnsOf(index)) {
          const name = joined ? `${source.alias}_${column.name}` : column.name;
          columns.push({
            name,
            type: column.type,
            key: !joined && column.name === source.relation.keyColumn && mode === 'pull',
          });
          parts.push((rows) => (rows[index] === undefined ? null : column.read(rows[index])));
        }
      });
      if (
        item.qualifier !== undefined &&
        !scope.sources.some((s) => s.alias === item.qualifier || s.relation.name === item.qualifier)
      ) {
        throw scope.error(
          'SQL_UNKNOWN_COLUMN',
          `${item.qualifier} is not a relation of this statement`,
          item.offset,
        );
      }
      continue;
    }
    const compiled = compileExpression(item.expression, scope);
    const plain = item.expression.kind === 'column' ? item.expression.name : undefined;
    const name = item.alias ?? plain ?? `KSQL_COL_${generated++}`;
    const isKey =
      mode === 'pull' &&
      item.expression.kind === 'column' &&
      !joined &&
      item.expression.name === scope.sources[0]?.relation.keyColumn;
    columns.push({ name, type: compiled.type, key: isKey });
    parts.push(compiled.evaluate);
  }
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column.name)) {
      throw new SqlError(
        'SQL_PARSE_ERROR',
        `two result columns are named ${column.name}: give one an alias`,
        positionAt(scope.text, 0),
      );
    }
    seen.add(column.name);
  }
  return { columns, project: (rows) => parts.map((part) => part(rows)) };
}

/** The result's schema as ksqlDB's header writes it: `` `NAME` TYPE[ KEY], … ``. */
export function schemaText(columns: readonly ResultColumn[]): string {
  return columns.map((c) => `\`${c.name}\` ${formatType(c.type)}${c.key ? ' KEY' : ''}`).join(', ');
}
