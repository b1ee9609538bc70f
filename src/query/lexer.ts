import { SqlError, type SqlPosition } from './errors.js';

/** A token of the SQL subset. Identifiers are upper-cased unless quoted with back-quotes. */
export interface Token {
  readonly kind: 'identifier' | 'string' | 'number' | 'symbol' | 'end';
  /** The identifier (upper-cased when bare), the string's value, the number's text, or the symbol. */
  readonly text: string;
  /** Whether the identifier was back-quoted (and so never a keyword). */
  readonly quoted: boolean;
  /** Offset in the statement text. */
  readonly offset: number;
}

const SYMBOLS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  '.',
  '[',
  ']',
  ';',
];

/** The 1-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): SqlPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);

/**
 * Splits a statement into tokens. Strings are in single quotes with `''` for a quote; `--` starts a comment
 * to the end of the line. Throws SqlError SQL_PARSE_ERROR, with the position, on an unterminated string or
 * quoted identifier and on a character the subset has no use for.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new SqlError('SQL_PARSE_ERROR', message, positionAt(text, at));
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        const end = text.indexOf("'", i);
        if (end < 0) fail('string literal not terminated: a quote is missing', start);
        value += text.slice(i, end);
        if (text[end + 1] === "'") {
          value += "'";
          i = end + 2;
        } else {
          i = end + 1;
          break;
        }
      }
      tokens.push({ kind: 'string', text: value, quoted: false, offset: start });
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) fail('quoted identifier not terminated: a back-quote is missing', i);
      if (end === i + 1) fail('empty quoted identifier', i);
      tokens.push({ kind: 'identifier', text: text.slice(i + 1, end), quoted: true, offset: i });
      i = end + 1;
    } else if (isDigit(c)) {
      const start = i;
      while (i < text.length && isDigit(text[i] as string)) i++;
      if (text[i] === '.' && isDigit(text[i + 1] ?? '')) {
        i++;
        while (i < text.length && isDigit(text[i] as string)) i++;
      }
      if (isIdentStart(text[i] ?? '')) fail(`unexpected '${text[i]}' after a number`, i);
      tokens.push({ kind: 'number', text: text.slice(start, i), quoted: false, offset: start });
    } else if (isIdentStart(c)) {
      const start = i;
      while (i < text.length && isIdentPart(text[i] as string)) i++;
      tokens.push({
        kind: 'identifier',
        text: text.slice(start, i).toUpperCase(),
        quoted: false,
        offset: start,
      });
    } else {
      const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
      if (symbol === undefined) fail(`unexpected character ${JSON.stringify(c)}`, i);
      tokens.push({ kind: 'symbol', text: symbol as string, quoted: false, offset: i });
      i += (symbol as string).length;
    }
  }
  tokens.push({ kind: 'end', text: '', quoted: false, offset: text.length });
  return tokens;
}
