import { SqlError } from './errors.js';
import { positionAt, type Token } from './lexer.js';

/** Words that end an expression or a relation, and so are never taken as an alias. */
export const RESERVED = new Set(
  'SELECT FROM WHERE JOIN INNER LEFT OUTER FULL ON LIMIT EMIT AND OR NOT IS NULL LIKE IN AS GROUP BY PARTITION HAVING WINDOW CAST TRUE FALSE'.split(
    ' ',
  ),
);

/**
 * A cursor over a statement's tokens, for the recursive-descent parsers: looking ahead, taking keywords and
 * symbols, failing with the position of the token at fault, and counting how deeply the parse has nested.
 */
export class TokenCursor {
  protected _at = 0;
  protected _depth = 0;

  constructor(
    readonly text: string,
    readonly tokens: readonly Token[],
    readonly maxDepth: number,
  ) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this._at + ahead, this.tokens.length - 1)] as Token;
  }

  protected next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this._at++;
    return token;
  }

  fail(message: string, token: Token = this.peek()): never {
    throw new SqlError('SQL_PARSE_ERROR', message, positionAt(this.text, token.offset));
  }

  protected describe(token: Token): string {
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
    this._at++;
    return true;
  }

  expectKeyword(word: string): Token {
    if (!this.isKeyword(word)) this.fail(`expected ${word} but found ${this.describe(this.peek())}`);
    return this.next();
  }

  acceptSymbol(symbol: string): boolean {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) return false;
    this._at++;
    return true;
  }

  expectSymbol(symbol: string): Token {
    const token = this.peek();
    if (token.kind !== 'symbol' || token.text !== symbol) {
      this.fail(`expected '${symbol}' but found ${this.describe(token)}`);
    }
    return this.next();
  }

  identifier(what: string): Token {
    const token = this.peek();
    if (token.kind !== 'identifier' || (!token.quoted && RESERVED.has(token.text))) {
      this.fail(`expected ${what} but found ${this.describe(token)}`);
    }
    return this.next();
  }

  protected nested<T>(parse: () => T): T {
    this.enter();
    try {
      return parse();
    } finally {
      this._depth--;
    }
  }

  protected enter(): void {
    if (++this._depth > this.maxDepth) {
      throw new SqlError(
        'SQL_LIMIT_EXCEEDED',
        `expressions nest more than ${this.maxDepth} deep`,
        positionAt(this.text, this.peek().offset),
      );
    }
  }
}
