import type { Expression } from './ast.js';
import { type Argument, FUNCTIONS } from './functions.js';
import { matchLike } from './like.js';
import type { RowSet, Scope } from './scope.js';
import {
  castValue,
  comparable,
  formatType,
  isArray,
  isNumeric,
  type SqlType,
  widerNumeric,
} from './types.js';

/**
 * Expressions compiled into closures over the rows: the statement is checked once (columns, functions,
 * types), and nothing from it is ever turned into code. NULL follows SQL: comparisons with NULL are NULL,
 * AND/OR are three-valued, and WHERE keeps a row only when its condition is TRUE.
 */
export interface CompiledExpression {
  readonly type: SqlType;
  readonly evaluate: (rows: RowSet) => unknown;
  /** Set for a literal. */
  readonly constant?: { readonly value: unknown };
}

export function compileExpression(expression: Expression, scope: Scope): CompiledExpression {
  switch (expression.kind) {
    case 'literal': {
      const { value } = expression;
      const type: SqlType =
        value === null
          ? 'NULL'
          : typeof value === 'string'
            ? 'STRING'
            : typeof value === 'boolean'
              ? 'BOOLEAN'
              : Number.isInteger(value)
                ? Math.abs(value) > 2_147_483_647
                  ? 'BIGINT'
                  : 'INTEGER'
                : 'DOUBLE';
      return { type, evaluate: () => value, constant: { value } };
    }
    case 'column': {
      const column = scope.resolve(expression.qualifier, expression.name, expression.offset);
      const { source, read } = column;
      return {
        type: column.type,
        evaluate: (rows) => (rows[source] === undefined ? null : read(rows[source])),
      };
    }
    case 'subscript':
      return compileSubscript(expression, scope);
    case 'not': {
      const operand = compileCondition(expression.operand, scope, 'NOT');
      return { type: 'BOOLEAN', evaluate: (rows) => not(operand.evaluate(rows)) };
    }
    case 'negate': {
      const operand = compileExpression(expression.operand, scope);
      if (!isNumeric(operand.type))
        throw scope.error('SQL_TYPE_ERROR', `cannot negate a ${formatType(operand.type)}`, expression.offset);
      return { type: operand.type, evaluate: (rows) => negate(operand.evaluate(rows)) };
    }
    case 'binary':
      return compileBinary(expression, scope);
    case 'isNull': {
      const operand = compileExpression(expression.operand, scope);
      const negated = expression.negated;
      return { type: 'BOOLEAN', evaluate: (rows) => (operand.evaluate(rows) === null) !== negated };
    }
    case 'like':
      return compileLike(expression, scope);
    case 'in':
      return compileIn(expression, scope);
    case 'call':
      return compileCall(expression, scope);
    case 'cast': {
      const operand = compileExpression(expression.operand, scope);
      const { type } = expression;
      return { type, evaluate: (rows) => castValue(operand.evaluate(rows), type) };
    }
  }
}

/** A condition (WHERE, ON, NOT's operand): BOOLEAN or NULL only. */
export function compileCondition(expression: Expression, scope: Scope, where: string): CompiledExpression {
  const compiled = compileExpression(expression, scope);
  if (compiled.type !== 'BOOLEAN' && compiled.type !== 'NULL') {
    throw scope.error(
      'SQL_TYPE_ERROR',
      `${where} needs a BOOLEAN condition, not ${formatType(compiled.type)}`,
      expression.offset,
    );
  }
  return compiled;
}

const not = (v: unknown) => (v === null ? null : !v);
const negate = (v: unknown) => (typeof v === 'number' ? -v : null);

function compileSubscript(
  expression: Extract<Expression, { kind: 'subscript' }>,
  scope: Scope,
): CompiledExpression {
  const base = compileExpression(expression.base, scope);
  const index = compileExpression(expression.index, scope);
  if (!isArray(base.type))
    throw scope.error(
      'SQL_TYPE_ERROR',
      `only an ARRAY can be indexed, not ${formatType(base.type)}`,
      expression.offset,
    );
  if (index.type !== 'INTEGER' && index.type !== 'BIGINT') {
    throw scope.error(
      'SQL_TYPE_ERROR',
      'an array index is a whole number (1 is the first element)',
      expression.index.offset,
    );
  }
  return {
    type: base.type.element,
    evaluate: (rows) => {
      const array = base.evaluate(rows);
      const at = index.evaluate(rows);
      if (!Array.isArray(array) || typeof at !== 'number') return null;
      // One-based, as ksqlDB: [1] is the first element, [-1] the last; 0 or out of range is NULL.
      const position = at > 0 ? at - 1 : array.length + at;
      return at === 0 || position < 0 || position >= array.length ? null : (array[position] ?? null);
    },
  };
}

function compare(a: unknown, b: unknown): number | null {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return null;
}

const COMPARE: Record<string, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/** AND and OR, three-valued: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE, otherwise NULL wins. */
function compileLogical(
  expression: Extract<Expression, { kind: 'binary' }>,
  operator: 'AND' | 'OR',
  scope: Scope,
): CompiledExpression {
  const left = compileCondition(expression.left, scope, operator);
  const right = compileCondition(expression.right, scope, operator);
  const stop = operator === 'OR';
  return {
    type: 'BOOLEAN',
    evaluate: (rows) => {
      const a = left.evaluate(rows);
      if (a === stop) return stop;
      const b = right.evaluate(rows);
      if (b === stop) return stop;
      return a === null || b === null ? null : !stop;
    },
  };
}

function compileBinary(
  expression: Extract<Expression, { kind: 'binary' }>,
  scope: Scope,
): CompiledExpression {
  const { operator } = expression;
  if (operator === 'AND' || operator === 'OR') return compileLogical(expression, operator, scope);
  const left = compileExpression(expression.left, scope);
  const right = compileExpression(expression.right, scope);
  const test = COMPARE[operator];
  if (test !== undefined) {
    if (!comparable(left.type, right.type)) {
      throw scope.error(
        'SQL_TYPE_ERROR',
        `cannot compare ${formatType(left.type)} with ${formatType(right.type)}`,
        expression.offset,
      );
    }
    return {
      type: 'BOOLEAN',
      evaluate: (rows) => {
        const c = compare(left.evaluate(rows), right.evaluate(rows));
        return c === null ? null : test(c);
      },
    };
  }
  if (operator === '+' && (left.type === 'STRING' || right.type === 'STRING')) {
    if (left.type !== right.type && left.type !== 'NULL' && right.type !== 'NULL') {
      throw scope.error(
        'SQL_TYPE_ERROR',
        `cannot add ${formatType(left.type)} and ${formatType(right.type)}`,
        expression.offset,
      );
    }
    return {
      type: 'STRING',
      evaluate: (rows) => {
        const a = left.evaluate(rows);
        const b = right.evaluate(rows);
        return typeof a === 'string' && typeof b === 'string' ? a + b : null;
      },
    };
  }
  if (!isNumeric(left.type) || !isNumeric(right.type)) {
    throw scope.error(
      'SQL_TYPE_ERROR',
      `${operator} takes numbers, not ${formatType(left.type)} and ${formatType(right.type)}`,
      expression.offset,
    );
  }
  const type = widerNumeric(left.type, right.type);
  const integral = type !== 'DOUBLE';
  const apply = arithmetic(operator, integral);
  return {
    type,
    evaluate: (rows) => {
      const a = left.evaluate(rows);
      const b = right.evaluate(rows);
      return typeof a === 'number' && typeof b === 'number' ? apply(a, b) : null;
    },
  };
}

function arithmetic(operator: string, integral: boolean): (a: number, b: number) => number | null {
  switch (operator) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      // Division by zero is NULL rather than an error that ends a push query.
      return (a, b) => (b === 0 ? null : integral ? Math.trunc(a / b) : a / b);
    default:
      return (a, b) => (b === 0 ? null : a % b);
  }
}

function compileLike(expression: Extract<Expression, { kind: 'like' }>, scope: Scope): CompiledExpression {
  const operand = compileExpression(expression.operand, scope);
  const pattern = compileExpression(expression.pattern, scope);
  for (const side of [operand, pattern]) {
    if (side.type !== 'STRING' && side.type !== 'NULL') {
      throw scope.error(
        'SQL_TYPE_ERROR',
        `LIKE compares STRINGs, not ${formatType(side.type)}`,
        expression.offset,
      );
    }
  }
  const negated = expression.negated;
  return {
    type: 'BOOLEAN',
    evaluate: (rows) => {
      const text = operand.evaluate(rows);
      const glob = pattern.evaluate(rows);
      if (typeof text !== 'string' || typeof glob !== 'string') return null;
      return matchLike(text, glob) !== negated;
    },
  };
}

function compileIn(expression: Extract<Expression, { kind: 'in' }>, scope: Scope): CompiledExpression {
  const operand = compileExpression(expression.operand, scope);
  const list = expression.list.map((item) => {
    const compiled = compileExpression(item, scope);
    if (!comparable(operand.type, compiled.type)) {
      throw scope.error(
        'SQL_TYPE_ERROR',
        `IN compares ${formatType(operand.type)} with ${formatType(compiled.type)}`,
        item.offset,
      );
    }
    return compiled;
  });
  const negated = expression.negated;
  return {
    type: 'BOOLEAN',
    evaluate: (rows) => {
      const value = operand.evaluate(rows);
      if (value === null) return null;
      let sawNull = false;
      for (const item of list) {
        const c = compare(value, item.evaluate(rows));
        if (c === 0) return !negated;
        if (c === null) sawNull = true;
      }
      return sawNull ? null : negated;
    },
  };
}

function compileCall(expression: Extract<Expression, { kind: 'call' }>, scope: Scope): CompiledExpression {
  const fn = FUNCTIONS.get(expression.name);
  if (fn === undefined) {
    throw scope.error(
      'SQL_UNKNOWN_FUNCTION',
      `unknown function ${expression.name}; known: ${[...FUNCTIONS.keys()].join(', ')}, CAST`,
      expression.offset,
    );
  }
  const [min, max] = fn.arity;
  if (expression.args.length < min || expression.args.length > max) {
    const count = min === max ? `${min}` : `${min} to ${max}`;
    throw scope.error(
      'SQL_UNKNOWN_FUNCTION',
      `${expression.name} takes ${count} arguments, not ${expression.args.length}`,
      expression.offset,
    );
  }
  const compiled = expression.args.map((arg) => compileExpression(arg, scope));
  const args: Argument[] = compiled.map((c, i) => ({
    type: c.type,
    expression: expression.args[i] as Expression,
    constant: c.constant,
  }));
  const { type, evaluate } = fn.compile(args, scope, expression.offset);
  return { type, evaluate: (rows) => evaluate(compiled.map((c) => c.evaluate(rows))) };
}
