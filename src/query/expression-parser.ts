import { parseColumnType } from '../topology/relations.js';
import type { BinaryOperator, Expression } from './ast.js';
import type { Token } from './lexer.js';
import { RESERVED, TokenCursor } from './token-cursor.js';

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/**
 * Expressions, by precedence from the loosest: OR, AND, NOT, comparisons (`=`, `IS NULL`, `LIKE`, `IN`),
 * `+ -`, `* / %`, unary minus, subscripts, then literals, columns, calls, CAST and parentheses.
 */
export class ExpressionParser extends TokenCursor {
  expression(): Expression {
    return this.nested(() => this.#or());
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
    const depth = this._depth;
    try {
      for (let token = operator(); token !== undefined; token = operator()) {
        this.enter();
        left = build(left, token, operand());
      }
      return left;
    } finally {
      this._depth = depth;
    }
  }

  #keywordOperator(word: string): () => Token | undefined {
    return () => (this.isKeyword(word) ? this.next() : undefined);
  }

  #symbolOperator(symbols: readonly string[]): () => Token | undefined {
    return () => {
      const token = this.peek();
      return token.kind === 'symbol' && symbols.includes(token.text) ? this.next() : undefined;
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
      return { kind: 'not', operand: this.nested(() => this.#not()), offset: token.offset };
    return this.#comparison();
  }

  #comparison(): Expression {
    const operand = this.additive();
    const token = this.peek();
    if (token.kind === 'symbol' && COMPARISONS.has(token.text)) {
      this.next();
      const operator = (token.text === '!=' ? '<>' : token.text) as BinaryOperator;
      return { kind: 'binary', operator, left: operand, right: this.additive(), offset: token.offset };
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT');
      this.expectKeyword('NULL');
      return { kind: 'isNull', operand, negated, offset: token.offset };
    }
    const negated = this.isKeyword('NOT') && (this.isKeyword('LIKE', 1) || this.isKeyword('IN', 1));
    if (negated) this.next();
    if (this.acceptKeyword('LIKE'))
      return { kind: 'like', operand, pattern: this.additive(), negated, offset: token.offset };
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

  protected additive(): Expression {
    return this.#arithmetic(() => this.#multiplicative(), ['+', '-']);
  }

  #multiplicative(): Expression {
    return this.#arithmetic(() => this.#unary(), ['*', '/', '%']);
  }

  #arithmetic(operand: () => Expression, symbols: readonly string[]): Expression {
    return this.#chain(operand, this.#symbolOperator(symbols), (left, token, right) => ({
      kind: 'binary',
      operator: token.text as BinaryOperator,
      left,
      right,
      offset: token.offset,
    }));
  }

  #unary(): Expression {
    const token = this.peek();
    if (this.acceptSymbol('-'))
      return { kind: 'negate', operand: this.nested(() => this.#unary()), offset: token.offset };
    if (this.acceptSymbol('+')) return this.nested(() => this.#unary());
    return this.#postfix();
  }

  #postfix(): Expression {
    let base = this.#primary();
    const depth = this._depth;
    try {
      for (let token = this.peek(); this.acceptSymbol('['); token = this.peek()) {
        this.enter();
        const index = this.expression();
        this.expectSymbol(']');
        base = { kind: 'subscript', base, index, offset: token.offset };
      }
      return base;
    } finally {
      this._depth = depth;
    }
  }

  #primary(): Expression {
    const token = this.peek();
    if (token.kind === 'string') {
      this.next();
      return { kind: 'literal', value: token.text, offset: token.offset };
    }
    if (token.kind === 'number') {
      this.next();
      return { kind: 'literal', value: Number(token.text), offset: token.offset };
    }
    if (this.acceptSymbol('(')) {
      const inner = this.expression();
      this.expectSymbol(')');
      return inner;
    }
    if (token.kind !== 'identifier') this.fail(`expected an expression but found ${this.describe(token)}`);
    if (!token.quoted) {
      if (this.acceptKeyword('NULL')) return { kind: 'literal', value: null, offset: token.offset };
      if (this.acceptKeyword('TRUE')) return { kind: 'literal', value: true, offset: token.offset };
      if (this.acceptKeyword('FALSE')) return { kind: 'literal', value: false, offset: token.offset };
      if (this.acceptKeyword('CAST')) return this.#cast(token);
      if (RESERVED.has(token.text)) this.fail(`expected an expression but found ${this.describe(token)}`);
    }
    this.next();
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
