import { type ColumnType, formatColumnType } from '../topology/relations.js';

/** A value's static type; `NULL` is the type of the literal NULL, which fits any column. */
export type SqlType = ColumnType | 'NULL';

export const isNumeric = (type: SqlType): boolean =>
  type === 'INTEGER' || type === 'BIGINT' || type === 'DOUBLE' || type === 'NULL';

export const isArray = (type: SqlType): type is { readonly kind: 'ARRAY'; readonly element: ColumnType } =>
  typeof type === 'object';

export function formatType(type: SqlType): string {
  return type === 'NULL' ? 'STRING' : formatColumnType(type);
}

/** Whether values of the two types can be compared with `=` or `<`. */
export function comparable(a: SqlType, b: SqlType): boolean {
  if (a === 'NULL' || b === 'NULL') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (isArray(a) || isArray(b)) return false;
  return a === b;
}

/** The type of `a op b` for arithmetic: the wider of the two. */
export function widerNumeric(a: SqlType, b: SqlType): SqlType {
  if (a === 'DOUBLE' || b === 'DOUBLE') return 'DOUBLE';
  if (a === 'BIGINT' || b === 'BIGINT') return 'BIGINT';
  if (a === 'NULL' && b === 'NULL') return 'NULL';
  return 'INTEGER';
}

/** A value as ksqlDB's CAST(… AS STRING) writes it. */
export function valueToString(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === null ? 'null' : valueToString(v))).join(', ')}]`;
  return String(value);
}

/** CAST of one value; null when it cannot be converted (ksqlDB's behaviour for bad text). */
export function castValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  if (typeof type === 'object') {
    return Array.isArray(value) ? value.map((item) => castValue(item, type.element)) : null;
  }
  switch (type) {
    case 'STRING':
      return valueToString(value);
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
        return value.trim().toLowerCase() === 'true';
      return null;
    case 'DOUBLE': {
      const n =
        typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
      return typeof value === 'string' && value.trim() === '' ? null : Number.isFinite(n) ? n : null;
    }
    default: {
      const n =
        typeof value === 'number'
          ? Math.trunc(value)
          : typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)
            ? Number(value)
            : Number.NaN;
      if (!Number.isSafeInteger(n)) return null;
      return type === 'INTEGER' && (n > 2_147_483_647 || n < -2_147_483_648) ? null : n;
    }
  }
}
