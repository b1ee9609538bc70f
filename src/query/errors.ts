import { CodedError } from '../errors/index.js';

/**
 * Errors of the SQL layer. One catalogue: every failure of a statement is a SqlError with one of these codes,
 * and where the statement text is to blame, the line and column (1-based) of the fault. Codes are stable;
 * messages may change. All are the client's to fix, except SQL_UNAVAILABLE (retry) and SQL_TIMEOUT.
 */
export const sqlErrorCodes = [
  /** The text is not a statement of the subset: the message says what was expected where. */
  'SQL_PARSE_ERROR',
  /** FROM or JOIN names a relation the application did not declare. SHOW TABLES lists them. */
  'SQL_UNKNOWN_RELATION',
  /** A column that the relations in the statement do not have, or one that two of them have. */
  'SQL_UNKNOWN_COLUMN',
  /** An unknown function, or one given the wrong number or kind of arguments. */
  'SQL_UNKNOWN_FUNCTION',
  /** An operation on values of types it does not take (`'a' + 1`), or a value the column cannot hold. */
  'SQL_TYPE_ERROR',
  /** A statement ksqlDB has but this layer does not run (CREATE, DROP, a pull query on a stream…). */
  'SQL_UNSUPPORTED',
  /** A limit was passed: statement size, nesting depth, scanned rows, concurrent push queries. */
  'SQL_LIMIT_EXCEEDED',
  /** A pull query ran longer than its time limit. Narrow it (by key) or raise the limit. */
  'SQL_TIMEOUT',
  /** The data cannot be read now (a partition moving, Kafka away). Retry shortly. */
  'SQL_UNAVAILABLE',
] as const;

export type SqlErrorCode = (typeof sqlErrorCodes)[number];

/** Where in the statement text: 1-based line and column, and the 0-based offset. */
export interface SqlPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A statement that cannot run; the message starts with `line L:C:` when a position is known. */
export class SqlError extends CodedError<SqlErrorCode> {
  override readonly name: string = 'SqlError';
  readonly position: SqlPosition | undefined;

  constructor(code: SqlErrorCode, message: string, position?: SqlPosition, options?: { cause?: unknown }) {
    super(
      code,
      position === undefined ? message : `line ${position.line}:${position.column}: ${message}`,
      options,
    );
    this.position = position;
  }
}
