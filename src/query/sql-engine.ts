import type { RelationCatalog, RelationRow } from '../topology/relations.js';
import type { SelectStatement, Statement } from './ast.js';
import { SqlError } from './errors.js';
import { compileExpression } from './expressions.js';
import { positionAt } from './lexer.js';
import { DEFAULT_PARSE_LIMITS, parseStatements } from './parser.js';
import { planSelect, type SelectPlan } from './plan.js';
import { runPull } from './pull.js';
import { type PushSink, startPush } from './push.js';
import type { OffsetReset, RelationData } from './relation-data.js';
import { Scope } from './scope.js';
import { castValue } from './types.js';

/** The limits of one instance's SQL layer; each has a default, and each refusal is a clear SqlError. */
export interface SqlLimits {
  /** The longest statement text. Default 65,536 characters. */
  readonly maxStatementLength: number;
  /** How deeply expressions nest. Default 64. */
  readonly maxDepth: number;
  /** Rows a pull-query scan may read across all instances. Default 200,000. */
  readonly maxScanRows: number;
  /** ms a pull query may take. Default 10,000. */
  readonly pullTimeoutMs: number;
  /** Push queries running at once on this instance. Default 32. */
  readonly maxPushQueries: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = Object.freeze({
  ...DEFAULT_PARSE_LIMITS,
  maxScanRows: 200_000,
  pullTimeoutMs: 10_000,
  maxPushQueries: 32,
});

export interface SqlEngineOptions {
  readonly catalog: RelationCatalog;
  readonly data: RelationData;
  readonly limits?: Partial<SqlLimits>;
}

/**
 * The SQL layer of one instance: parses statements, plans SELECTs against the catalogue, and runs pull
 * queries, push queries and INSERTs on the relations' data. It knows nothing of HTTP or of the application.
 */
export class SqlEngine {
  readonly catalog: RelationCatalog;
  readonly limits: SqlLimits;
  readonly #data: RelationData;
  #pushQueries = 0;

  constructor(options: SqlEngineOptions) {
    this.catalog = options.catalog;
    this.#data = options.data;
    this.limits = Object.freeze({ ...DEFAULT_SQL_LIMITS, ...options.limits });
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new TypeError(`SQL limit ${name} must be a whole number >= 1, not ${value}`);
    }
  }

  /** How many push queries are running here. */
  get pushQueries(): number {
    return this.#pushQueries;
  }

  parse(text: string): Statement[] {
    return parseStatements(text, this.limits);
  }

  plan(statement: SelectStatement): SelectPlan {
    return planSelect(statement, this.catalog);
  }

  pull(plan: SelectPlan, signal?: AbortSignal): Promise<unknown[][]> {
    return runPull(
      plan,
      this.#data,
      { maxScanRows: this.limits.maxScanRows, timeoutMs: this.limits.pullTimeoutMs },
      signal,
    );
  }

  /** Starts a push query; the returned function stops it. Refused past `maxPushQueries`. */
  async push(plan: SelectPlan, from: OffsetReset, sink: PushSink): Promise<() => void> {
    if (this.#pushQueries >= this.limits.maxPushQueries) {
      throw new SqlError(
        'SQL_LIMIT_EXCEEDED',
        `${this.limits.maxPushQueries} push queries are already running on this instance; end one, or ask another instance`,
      );
    }
    this.#pushQueries++;
    let released = false;
    const release = () => {
      if (!released) this.#pushQueries--;
      released = true;
    };
    try {
      const stop = await startPush(plan, this.#data, from, {
        row: (values) => sink.row(values),
        end: (reason, error) => {
          release();
          sink.end(reason, error);
        },
      });
      return () => {
        release();
        stop();
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Runs INSERT INTO … VALUES: literal values, checked against the columns' types. */
  async insert(statement: Extract<Statement, { kind: 'insert' }>): Promise<void> {
    const { text } = statement;
    const relation = this.catalog.get(statement.relation.name);
    if (relation === undefined) {
      throw new SqlError(
        'SQL_UNKNOWN_RELATION',
        `${statement.relation.name} does not exist`,
        positionAt(text, statement.relation.offset),
      );
    }
    const all = [{ name: relation.keyColumn, type: 'STRING' as const }, ...relation.columns];
    const names = statement.columns?.map((c) => c.name) ?? all.map((c) => c.name);
    if (names.length !== statement.values.length) {
      throw new SqlError(
        'SQL_PARSE_ERROR',
        `${names.length} columns but ${statement.values.length} values`,
        positionAt(text, 0),
      );
    }
    const scope = new Scope([], text);
    const values = new Map<string, unknown>();
    statement.values.forEach((expression, i) => {
      const name = names[i] as string;
      const column = all.find((c) => c.name === name);
      if (column === undefined)
        throw scope.error(
          'SQL_UNKNOWN_COLUMN',
          `${relation.name} has no column ${name}`,
          statement.columns?.[i]?.offset ?? 0,
        );
      if (values.has(name))
        throw scope.error(
          'SQL_PARSE_ERROR',
          `column ${name} is given twice`,
          statement.columns?.[i]?.offset ?? 0,
        );
      const compiled = compileExpression(expression, scope);
      if (compiled.constant === undefined)
        throw scope.error('SQL_UNSUPPORTED', 'INSERT takes literal values only', expression.offset);
      const value = compiled.constant.value === null ? null : castValue(compiled.constant.value, column.type);
      if (
        compiled.constant.value !== null &&
        (value === null || (column.type === 'STRING' && typeof compiled.constant.value !== 'string'))
      ) {
        throw scope.error(
          'SQL_TYPE_ERROR',
          `column ${name} is ${typeof column.type === 'string' ? column.type : 'an ARRAY'}`,
          expression.offset,
        );
      }
      values.set(name, value);
    });
    const key = values.get(relation.keyColumn);
    if (typeof key !== 'string')
      throw new SqlError(
        'SQL_TYPE_ERROR',
        `INSERT needs a value for the key column ${relation.keyColumn}`,
        positionAt(text, 0),
      );
    values.delete(relation.keyColumn);
    const row: RelationRow = { key, rowtime: Date.now(), columns: Object.fromEntries(values) };
    await this.#data.insert(relation, row);
  }
}
