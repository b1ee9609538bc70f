import { parseColumnType } from '../topology/relations.js';
import type {
  BinaryOperator,
  Expression,
  RelationReference,
  SelectItem,
  SelectStatement,
  Statement,
} from './ast.js';
import { SqlError } from './errors.js';
import { positionAt, type Token, tokenize } from './lexer.js';

/** Limits that keep a hostile statement from costing more than a clear error. */
export interface ParseLimits {
  /** The longest statement text, in UTF-16 code units. Default 65,536. */
  readonly maxStatementLength?: number;
  /** How deeply expressions may nest (parentheses, operators, calls). Default 64. */
  readonly maxDepth?: number;
}

export const DEFAULT_PARSE_LIMITS = Object.freeze({ maxStatementLength: 65_536, maxDepth: 64 });

/** Words that end an expression or a relation, and so are never taken as an alias. */
const RESERVED = new Set(
  'SELECT FROM WHERE JOIN INNER LEFT OUTER FULL ON LIMIT EMIT AND OR NOT IS NULL LIKE IN AS GROUP BY PARTITION HAVING WINDOW CAST TRUE FALSE'.split(
    ' ',
  ),
);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

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
  const parser = new Parser(text, tokenize(text), limits.maxDepth ?? DEFAULT_PARSE_LIMITS.maxDepth);
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

class Parser {
  #at = 0;
  #depth = 0;
  #statementStart = 0;

  constructor(
    readonly text: string,
    readonly tokens: readonly Token[],
    readonly maxDepth: number,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.#at + ahead, this.tokens.length - 1)] as Token;
  }

  #next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.#at++;
    return token;
  }

  fail(message: string, token: Token = this.peek()): never {
    throw new SqlError('SQL_PARSE_ERROR', message, positionAt(this.text, token.offset));
  }

  #describe(token: Token): string {
    if (token.kind === 'end') return 'the end of the statement';
    if (token.kind === 'string')
      return `'${token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text}'`;
    return `'${token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text}'`;
  }

  isKeyword(word: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'identifier' && !token.quoted && token.text === word;
  }

  acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.#at++;
    return true;
  }

  expectKeyword(word: string): Token {
    if (!this.isKeyword(word)) this.fail(`expected ${word} but found ${this.#describe(this.peek())}`);
    return this.#next();
  }

  acceptSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) return false;
    this.#at++;
    return true;
  }

  expectSymbol(symbol: string): Token {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) {
      this.fail(`expected '${symbol}' but found ${this.#describe(token)}`);
    }
    return this.#next();
  }

  identifier(what: string): Token {
    const token = this.peek();
    if (token.kind !== 'identifier' || (!token.quoted && RESERVED.has(token.text))) {
      this.fail(`expected ${what} but found ${this.#describe(token)}`);
    }
    return this.#next();
  }

  #statementText(): string {
    return `${this.text.slice(this.#statementStart, this.peek().offset).trim()};`;
  }

  statement(): Statement {
    const first = this.peek();
    this.#statementStart = first.offset;
    if (first.kind !== 'identifier' || first.quoted)
      this.fail(`expected a statement but found ${this.#describe(first)}`);
    switch (first.text) {
      case 'SELECT':
        return this.#select();
      case 'SHOW':
      case 'LIST':
        return this.#show();
      case 'DESCRIBE':
        return this.#describeStatement();
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
        return this.fail(
          `expected SELECT, SHOW, LIST, DESCRIBE or INSERT but found ${this.#describe(first)}`,
        );
    }
  }

  #show(): Statement {
    this.#next();
    const token = this.peek();
    const what = token.kind === 'identifier' && !token.quoted ? token.text : '';
    if (what !== 'TABLES' && what !== 'STREAMS' && what !== 'QUERIES') {
      this.fail(`expected TABLES, STREAMS or QUERIES but found ${this.#describe(token)}`);
    }
    this.#next();
    this.acceptKeyword('EXTENDED');
    return { kind: 'show', what, text: this.#statementText() };
  }

  #describeStatement(): Statement {
    this.#next();
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
    this.#next();
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
      else if (this.peek().kind === 'identifier' && !RESERVED.has(this.peek().text))
        alias = this.#next().text;
    }
    return { name: token.text, alias, offset: token.offset };
  }

  #select(): SelectStatement {
    this.#next();
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
      const left = this.#additive();
      this.expectSymbol('=');
      const right = this.#additive();
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
      this.fail(`expected a whole number of rows after LIMIT but found ${this.#describe(token)}`);
    }
    this.#next();
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
      this.#at += 3;
      return { kind: 'all', qualifier: start.text, offset: start.offset };
    }
    const expression = this.expression();
    let alias: string | undefined;
    if (this.acceptKeyword('AS')) alias = this.identifier('an alias').text;
    else if (this.peek().kind === 'identifier' && !RESERVED.has(this.peek().text)) alias = this.#next().text;
    return { kind: 'expression', expression, alias };
  }

  /** Counts nesting around `parse`, and refuses past the limit. */
  #nested<T>(parse: () => T): T {
    this.#enter();
    try {
      return parse();
    } finally {
      this.#depth--;
    }
  }

  #enter(): void {
    if (++this.#depth > this.maxDepth) {
      throw new SqlError(
        'SQL_LIMIT_EXCEEDED',
        `expressions nest more than ${this.maxDepth} deep`,
        positionAt(this.text, this.peek().offset),
      );
    }
  }

  expression(): Expression {
    return this.#nested(() => this.#or());
  }

  /**
   * A left-associative chain of `operand (operator operand)*`. Each link counts as one level of nesting: the
   * tree it builds is as deep as the chain is long, and evaluating it recurses as deep.
   */
  #chain(
    operand: () => Expression,
    operator: () => Token | undefined,
    build: (left: Expression, token: Token, right: Expression) => Expression,
  ): Expression {
    let left = operand();
    const depth = this.#depth;
    try {
      for (let token = operator(); token !== undefined; token = operator()) {
        this.#enter();
        left = build(left, token, operand());
      }
      return left;
    } finally {
      this.#depth = depth;
    }
  }

  #keywordOperator(word: string): () => Token | undefined {
    return () => (this.isKeyword(word) ? this.#next() : undefined);
  }

  #symbolOperator(symbols: readonly string[]): () => Token | undefined {
    return () => {
      const token = this.peek();
      return token.kind === 'symbol' && symbols.includes(token.text) ? this.#next() : undefined;
    };
  }

  #or(): Expression {
    return this.#chain(
      () => this.#and(),
      this.#keywordOperator('OR'),
      (left, token, right) => ({ kind: 'binary', operator: 'OR', left, right, offset: token.offset }),
    );
  }

  #and(): Expression {
    return this.#chain(
      () => this.#not(),
      this.#keywordOperator('AND'),
      (left, token, right) => ({ kind: 'binary', operator: 'AND', left, right, offset: token.offset }),
    );
  }

  #not(): Expression {
    const token = this.peek();
    if (this.acceptKeyword('NOT'))
      return { kind: 'not', operand: this.#nested(() => this.#not()), offset: token.offset };
    return this.#comparison();
  }

  #comparison(): Expression {
    const operand = this.#additive();
    const token = this.peek();
    if (token.kind === 'symbol' && COMPARISONS.has(token.text)) {
      this.#next();
      const operator = (token.text === '!=' ? '<>' : token.text) as BinaryOperator;
      return { kind: 'binary', operator, left: operand, right: this.#additive(), offset: token.offset };
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { kind: 'isNull', operand, negated, offset: token.offset };
    }
    const negated = this.isKeyword('NOT') && (this.isKeyword('LIKE', 1) || this.isKeyword('IN', 1));
    if (negated) this.#next();
    if (this.acceptKeyword('LIKE'))
      return { kind: 'like', operand, pattern: this.#additive(), negated, offset: token.offset };
    if (this.acceptKeyword('IN')) {
      this.expectSymbol('(');
      const list: Expression[] = [];
      do list.push(this.expression());
      while (this.acceptSymbol(','));
      this.expectSymbol(')');
      return { kind: 'in', operand, list, negated, offset: token.offset };
    }
    return operand;
  }

  #additive(): Expression {
    return this.#chain(
      () => this.#multiplicative(),
      this.#symbolOperator(['+', '-']),
      (left, token, right) => ({
        kind: 'binary',
        operator: token.text as BinaryOperator,
        left,
        right,
        offset: token.offset,
      }),
    );
  }

  #multiplicative(): Expression {
    return this.#chain(
      () => this.#unary(),
      this.#symbolOperator(['*', '/', '%']),
      (left, token, right) => ({
        kind: 'binary',
        operator: token.text as BinaryOperator,
        left,
        right,
        offset: token.offset,
      }),
    );
  }

  #unary(): Expression {
    const token = this.peek();
    if (this.acceptSymbol('-'))
      return { kind: 'negate', operand: this.#nested(() => this.#unary()), offset: token.offset };
    if (this.acceptSymbol('+')) return this.#nested(() => this.#unary());
    return this.#postfix();
  }

  #postfix(): Expression {
    let base = this.#primary();
    const depth = this.#depth;
    try {
      for (let token = this.peek(); this.acceptSymbol('['); token = this.peek()) {
        this.#enter();
        const index = this.expression();
        this.expectSymbol(']');
        base = { kind: 'subscript', base, index, offset: token.offset };
      }
      return base;
    } finally {
      this.#depth = depth;
    }
  }

  #primary(): Expression {
    const token = this.peek();
    if (token.kind === 'string') {
      this.#next();
      return { kind: 'literal', value: token.text, offset: token.offset };
    }
    if (token.kind === 'number') {
      this.#next();
      return { kind: 'literal', value: Number(token.text), offset: token.offset };
    }
    if (this.acceptSymbol('(')) {
      const inner = this.expression();
      this.expectSymbol(')');
      return inner;
    }
    if (token.kind !== 'identifier') this.fail(`expected an expression but found ${this.#describe(token)}`);
    if (!token.quoted) {
      if (this.acceptKeyword('NULL')) return { kind: 'literal', value: null, offset: token.offset };
      if (this.acceptKeyword('TRUE')) return { kind: 'literal', value: true, offset: token.offset };
      if (this.acceptKeyword('FALSE')) return { kind: 'literal', value: false, offset: token.offset };
      if (this.acceptKeyword('CAST')) return this.#cast(token);
      if (RESERVED.has(token.text)) this.fail(`expected an expression but found ${this.#describe(token)}`);
    }
    this.#next();
    if (!token.quoted && this.acceptSymbol('(')) {
      const args: Expression[] = [];
      if (!this.acceptSymbol(')')) {
        do args.push(this.expression());
        while (this.acceptSymbol(','));
        this.expectSymbol(')');
      }
      return { kind: 'call', name: token.text, args, offset: token.offset };
    }
    if (this.acceptSymbol('.')) {
      const name = this.identifier('a column name');
      return { kind: 'column', qualifier: token.text, name: name.text, offset: token.offset };
    }
    return { kind: 'column', qualifier: undefined, name: token.text, offset: token.offset };
  }

  #cast(start: Token): Expression {
    this.expectSymbol('(');
    const operand = this.expression();
    this.expectKeyword('AS');
    const typeStart = this.peek();
    let typeText = this.identifier('a type').text;
    if (typeText === 'ARRAY') {
      this.expectSymbol('<');
      typeText += `<${this.identifier('a type').text}>`;
      this.expectSymbol('>');
    }
    this.expectSymbol(')');
    try {
      return { kind: 'cast', operand, type: parseColumnType(typeText), offset: start.offset };
    } catch {
      return this.fail(`unknown type ${typeText}`, typeStart);
    }
  }
}
