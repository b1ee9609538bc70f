/**
 * The SQL layer: ksqlDB's SELECT (pull and push), SHOW, DESCRIBE and INSERT over the relations an
 * application declares (src/topology/relations.ts). It knows nothing of HTTP or of any application; a server
 * gives it a RelationData to read and write through.
 */

export type { Expression, SelectStatement, Statement } from './ast.js';
export { SqlError, type SqlErrorCode, type SqlPosition, sqlErrorCodes } from './errors.js';
export { positionAt } from './lexer.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits, parseStatement, parseStatements } from './parser.js';
export { type ResultColumn, type SelectPlan, schemaText } from './plan.js';
export type { PushSink } from './push.js';
export type { OffsetReset, RelationData, Unsubscribe } from './relation-data.js';
export { mergeScanParts, type ScanPart, type ScanRow, scanPart } from './scan-parts.js';
export { DEFAULT_SQL_LIMITS, SqlEngine, type SqlEngineOptions, type SqlLimits } from './sql-engine.js';
export { formatTimestamp, parseDatePattern } from './timestamp-format.js';
export { formatType, type SqlType } from './types.js';
