import type { Expression, RelationReference, SelectItem, SelectStatement, Statement } from './ast.js';
import { SqlError } from './errors.js';
import { ExpressionParser } from './expression-parser.js';
import { positionAt, tokenize } from './lexer.js';
import { RESERVED } from './token-cursor.js';

/** Limits that keep a hostile statement from costing more than a clear error. */
export interface ParseLimits {
  /** The longest statement text, in UTF-16 code units. Default 65,536. */
  readonly maxStatementLength?: number;
  /** How deeply expressions may nest (parentheses, operators, calls). Default 64. */
  readonly maxDepth?: number;
}

export const DEFAULT_PARSE_LIMITS = Object.freeze({ maxStatementLength: 65_536, maxDepth: 64 });

/**
 * Parses statements separated by `;` (the last `;` may be left out). Each statement keeps its own text.
 * Throws SqlError: SQL_LIMIT_EXCEEDED past a limit, SQL_PARSE_ERROR (with line and column) for text that is
 * not of the subset, SQL_UNSUPPORTED for ksqlDB statements that create or change things.
 */
export function parseStatements(text: string, limits: ParseLimits = {}): Statement[] {
  const maxLength = limits.maxStatementLength ?? DEFAULT_PARSE_LIMITS.maxStatementLength;
  if (text.length > maxLength) {
    throw new SqlError(
      'SQL_LIMIT_EXCEEDED',
      `the statement is ${text.length} characters long; at most ${maxLength} are taken`,
    );
  }
  const parser = new StatementParser(text, tokenize(text), limits.maxDepth ?? DEFAULT_PARSE_LIMITS.maxDepth);
  const statements: Statement[] = [];
  while (parser.peek().kind !== 'end') {
    if (parser.acceptSymbol(';')) continue;
    statements.push(parser.statement());
    if (parser.peek().kind !== 'end') parser.expectSymbol(';');
  }
  if (statements.length === 0)
    throw new SqlError('SQL_PARSE_ERROR', 'no statement given', positionAt(text, 0));
  return statements;
}

/** Parses exactly one statement. */
export function parseStatement(text: string, limits: ParseLimits = {}): Statement {
  const statements = parseStatements(text, limits);
  if (statements.length > 1) {
    throw new SqlError('SQL_PARSE_ERROR', 'one statement at a time here', positionAt(text, 0));
  }
  return statements[0] as Statement;
}

/** The statements of the subset: SELECT, SHOW/LIST, DESCRIBE, INSERT; CREATE and the like refused. */
class StatementParser extends ExpressionParser {
  private statementStart = 0;

  #statementText(): string {
    return `${this.text.slice(this.statementStart, this.peek().offset).trim()};`;
  }

  statement(): Statement {
    const first = this.peek();
    this.statementStart = first.offset;
    if (first.kind !== 'identifier' || first.quoted)
      this.fail(`expected a statement but found ${this.describe(first)}`);
    switch (first.text) {
      case 'SELECT':
        return this.#select();
      case 'SHOW':
      case 'LIST':
        return this.#show();
      case 'DESCRIBE':
        return this.describeStatement();
      case 'INSERT':
        return this.#insert();
      case 'CREATE':
      case 'DROP':
      case 'TERMINATE':
      case 'ALTER':
      case 'PAUSE':
      case 'RESUME':
        throw new SqlError(
          'SQL_UNSUPPORTED',
          `${first.text} is not run here: queries read the relations of the running topology, which its application declares; nothing persistent is created or dropped`,
          positionAt(this.text, first.offset),
        );
      default:
        return this.fail(`expected SELECT, SHOW, LIST, DESCRIBE or INSERT but found ${this.describe(first)}`);
    }
  }

  #show(): Statement {
    this.next();
    const token = this.peek();
    const what = token.kind === 'identifier' && !token.quoted ? token.text : '';
    if (what !== 'TABLES' && what !== 'STREAMS' && what !== 'QUERIES') {
      this.fail(`expected TABLES, STREAMS or QUERIES but found ${this.describe(token)}`);
    }
    this.next();
    this.acceptKeyword('EXTENDED');
    return { kind: 'show', what, text: this.#statementText() };
  }

  describeStatement(): Statement {
    this.next();
    const extended = this.acceptKeyword('EXTENDED');
    const relation = this.#relation(false);
    return {
      kind: 'describe',
      relation,
      extended: extended || this.acceptKeyword('EXTENDED'),
      text: this.#statementText(),
    };
  }

  #insert(): Statement {
    this.next();
    this.expectKeyword('INTO');
    const relation = this.#relation(false);
    let columns: { name: string; offset: number }[] | undefined;
    if (this.acceptSymbol('(')) {
      columns = [];
      do {
        const token = this.identifier('a column name');
        columns.push({ name: token.text, offset: token.offset });
      } while (this.acceptSymbol(','));
      this.expectSymbol(')');
    }
    this.expectKeyword('VALUES');
    this.expectSymbol('(');
    const values: Expression[] = [];
    do values.push(this.expression());
    while (this.acceptSymbol(','));
    this.expectSymbol(')');
    return { kind: 'insert', relation, columns, values, text: this.#statementText() };
  }

  #relation(aliased: boolean): RelationReference {
    const token = this.identifier('a stream or table name');
    let alias: string | undefined;
    if (aliased) {
      if (this.acceptKeyword('AS')) alias = this.identifier('an alias').text;
      else if (this.peek().kind === 'identifier' && !RESERVED.has(this.peek().text)) alias = this.next().text;
    }
    return { name: token.text, alias, offset: token.offset };
  }

  #select(): SelectStatement {
    this.next();
    const items: SelectItem[] = [];
    do items.push(this.#selectItem());
    while (this.acceptSymbol(','));
    this.expectKeyword('FROM');
    const from = this.#relation(true);
    let join: SelectStatement['join'];
    const joinStart = this.peek();
    if (this.isKeyword('JOIN') || this.isKeyword('INNER') || this.isKeyword('LEFT')) {
      const type = this.acceptKeyword('LEFT') ? 'LEFT' : 'INNER';
      if (type === 'INNER') this.acceptKeyword('INNER');
      else this.acceptKeyword('OUTER');
      this.expectKeyword('JOIN');
      const relation = this.#relation(true);
      this.expectKeyword('ON');
      const left = this.additive();
      this.expectSymbol('=');
      const right = this.additive();
      join = { type, relation, left, right, offset: joinStart.offset };
    }
    const where = this.acceptKeyword('WHERE') ? this.expression() : undefined;
    for (const clause of ['GROUP', 'PARTITION', 'HAVING', 'WINDOW']) {
      if (this.isKeyword(clause)) {
        throw new SqlError(
          'SQL_UNSUPPORTED',
          `${clause} is not supported here: query the table that the topology aggregates`,
          positionAt(this.text, this.peek().offset),
        );
      }
    }
    let emitChanges = this.#emitChanges();
    const limit = this.acceptKeyword('LIMIT') ? this.#limit() : undefined;
    if (!emitChanges) emitChanges = this.#emitChanges();
    return { kind: 'select', text: this.#statementText(), items, from, join, where, limit, emitChanges };
  }

  #emitChanges(): boolean {
    if (!this.acceptKeyword('EMIT')) return false;
    if (this.isKeyword('FINAL')) this.fail('EMIT FINAL is not supported; use EMIT CHANGES');
    this.expectKeyword('CHANGES');
    return true;
  }

  #limit(): number {
    const token = this.peek();
    if (token.kind !== 'number' || !/^\d+$/.test(token.text) || Number(token.text) > 2_147_483_647) {
      this.fail(`expected a whole number of rows after LIMIT but found ${this.describe(token)}`);
    }
    this.next();
    return Number(token.text);
  }

  #selectItem(): SelectItem {
    const start = this.peek();
    if (this.acceptSymbol('*')) return { kind: 'all', qualifier: undefined, offset: start.offset };
    if (
      start.kind === 'identifier' &&
      this.peek(1).text === '.' &&
      this.peek(2).text === '*' &&
      this.peek(2).kind === 'symbol'
    ) {
      this._at += 3;
      return { kind: 'all', qualifier: start.text, offset: start.offset };
    }
    const expression = this.expression();
    let alias: string | undefined;
    if (this.acceptKeyword('AS')) alias = this.identifier('an alias').text;
    else if (this.peek().kind === 'identifier' && !RESERVED.has(this.peek().text)) alias = this.next().text;
    return { kind: 'expression', expression, alias };
  }

  /** Counts nesting around `parse`, and refuses past the limit. */
}
