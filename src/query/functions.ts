import type { Expression } from './ast.js';
import type { Scope } from './scope.js';
import { checkTimeZone, formatTimestamp, parseDatePattern } from './timestamp-format.js';
import { comparable, formatType, isArray, isNumeric, type SqlType } from './types.js';

/** An argument as a function sees it when the statement is compiled: its type, and its value if constant. */
export interface Argument {
  readonly type: SqlType;
  readonly expression: Expression;
  /** Set when the argument is a literal: the function may check and prepare it once. */
  readonly constant: { readonly value: unknown } | undefined;
}

type Evaluate = (args: readonly unknown[]) => unknown;

interface SqlFunction {
  readonly arity: readonly [min: number, max: number];
  /** Checks the arguments; returns the result type and how to compute it. Throws through `scope.error`. */
  compile(args: readonly Argument[], scope: Scope, offset: number): { type: SqlType; evaluate: Evaluate };
}

const typeError = (scope: Scope, offset: number, message: string) =>
  scope.error('SQL_TYPE_ERROR', message, offset);

function expect(
  scope: Scope,
  name: string,
  arg: Argument,
  ok: (t: SqlType) => boolean,
  wanted: string,
): void {
  if (arg.type !== 'NULL' && !ok(arg.type)) {
    throw typeError(
      scope,
      arg.expression.offset,
      `${name} takes ${wanted} here, not ${formatType(arg.type)}`,
    );
  }
}

const isString = (t: SqlType) => t === 'STRING';

function stringFunction(name: string, map: (s: string) => unknown, type: SqlType): SqlFunction {
  return {
    arity: [1, 1],
    compile(args, scope) {
      expect(scope, name, args[0] as Argument, isString, 'a STRING');
      return { type, evaluate: ([s]) => (typeof s === 'string' ? map(s) : null) };
    },
  };
}

const timestampToString: SqlFunction = {
  arity: [2, 3],
  compile(args, scope) {
    const [time, pattern, zone] = args as [Argument, Argument, Argument | undefined];
    expect(scope, 'TIMESTAMPTOSTRING', time, isNumeric, 'epoch milliseconds (BIGINT)');
    expect(scope, 'TIMESTAMPTOSTRING', pattern, isString, 'a date pattern (STRING)');
    if (zone) expect(scope, 'TIMESTAMPTOSTRING', zone, isString, 'a time zone (STRING)');
    const prepared = (value: unknown) => {
      try {
        return parseDatePattern(value as string);
      } catch (error) {
        throw typeError(scope, pattern.expression.offset, (error as Error).message);
      }
    };
    if (zone?.constant && typeof zone.constant.value === 'string') {
      try {
        checkTimeZone(zone.constant.value);
      } catch {
        throw typeError(
          scope,
          zone.expression.offset,
          `unknown time zone ${JSON.stringify(zone.constant.value)}`,
        );
      }
    }
    const fixed =
      pattern.constant && typeof pattern.constant.value === 'string'
        ? prepared(pattern.constant.value)
        : undefined;
    return {
      type: 'STRING',
      evaluate: ([ms, text, tz]) => {
        if (typeof ms !== 'number' || typeof text !== 'string' || (zone && typeof tz !== 'string'))
          return null;
        try {
          return formatTimestamp(ms, fixed ?? parseDatePattern(text), (tz as string | undefined) ?? 'UTC');
        } catch {
          return null; // a pattern or zone from a column that is not one
        }
      },
    };
  },
};

const arrayLength: SqlFunction = {
  arity: [1, 1],
  compile(args, scope) {
    expect(scope, 'ARRAY_LENGTH', args[0] as Argument, isArray, 'an ARRAY');
    return { type: 'INTEGER', evaluate: ([a]) => (Array.isArray(a) ? a.length : null) };
  },
};

const arrayContains: SqlFunction = {
  arity: [2, 2],
  compile(args, scope) {
    const [array, item] = args as [Argument, Argument];
    expect(scope, 'ARRAY_CONTAINS', array, isArray, 'an ARRAY first');
    if (isArray(array.type) && !comparable(array.type.element, item.type)) {
      throw typeError(
        scope,
        item.expression.offset,
        `ARRAY_CONTAINS: ${formatType(array.type)} cannot hold a ${formatType(item.type)}`,
      );
    }
    return { type: 'BOOLEAN', evaluate: ([a, v]) => (Array.isArray(a) ? a.includes(v ?? null) : false) };
  },
};

/** The functions of the subset, by upper-case name. */
export const FUNCTIONS: ReadonlyMap<string, SqlFunction> = new Map<string, SqlFunction>([
  ['TIMESTAMPTOSTRING', timestampToString],
  ['UCASE', stringFunction('UCASE', (s) => s.toUpperCase(), 'STRING')],
  ['LCASE', stringFunction('LCASE', (s) => s.toLowerCase(), 'STRING')],
  ['LEN', stringFunction('LEN', (s) => [...s].length, 'INTEGER')],
  ['ARRAY_LENGTH', arrayLength],
  ['ARRAY_CONTAINS', arrayContains],
]);
