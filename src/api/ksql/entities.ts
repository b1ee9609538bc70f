import { SqlError, type SqlErrorCode } from '../../query/index.js';
import type { ColumnType, Relation, RelationQuery } from '../../topology/index.js';
import type { ApiError } from '../errors.js';

/**
 * The JSON that ksqlDB 0.29's REST API answers, for clients written against it: the entities of `/ksql`,
 * the rows of `/query`, and errors. Field names and `@type`s are ksqlDB's.
 */

/** ksqlDB's error body: `@type` and `error_code` (the HTTP status times 100, plus a detail digit). */
export interface KsqlErrorBody {
  readonly '@type': 'statement_error' | 'generic_error';
  readonly error_code: number;
  readonly message: string;
  readonly statementText?: string;
  readonly entities?: readonly unknown[];
}

/** HTTP status of each SQL error code: the client's mistakes are 400, as ksqlDB answers them. */
const SQL_STATUS: Readonly<Record<SqlErrorCode, number>> = {
  SQL_PARSE_ERROR: 400,
  SQL_UNKNOWN_RELATION: 400,
  SQL_UNKNOWN_COLUMN: 400,
  SQL_UNKNOWN_FUNCTION: 400,
  SQL_TYPE_ERROR: 400,
  SQL_UNSUPPORTED: 400,
  SQL_LIMIT_EXCEEDED: 400,
  SQL_TIMEOUT: 400,
  SQL_UNAVAILABLE: 503,
};

export function statementError(
  error: SqlError,
  statementText: string,
): { status: number; body: KsqlErrorBody } {
  const status = SQL_STATUS[error.code];
  if (status === 503)
    return { status, body: { '@type': 'generic_error', error_code: 50301, message: error.message } };
  return {
    status,
    body: {
      '@type': 'statement_error',
      error_code: 40001,
      message: error.message,
      statementText,
      entities: [],
    },
  };
}

export function genericError(error: ApiError): KsqlErrorBody {
  return { '@type': 'generic_error', error_code: error.statusCode * 100, message: error.message };
}

/** A statement sent to `sentTo` that belongs on the other endpoint, as ksqlDB says it. */
export function wrongEndpoint(text: string, sentTo: '/query' | '/ksql'): SqlError {
  return new SqlError(
    'SQL_UNSUPPORTED',
    sentTo === '/ksql'
      ? `SELECT statements are run on /query, not /ksql: ${text.slice(0, 80)}`
      : `only SELECT statements are run on /query; send this one to /ksql: ${text.slice(0, 80)}`,
  );
}

const KEY_FORMAT = 'KAFKA';

function sourceInfo(relation: Relation) {
  return {
    type: relation.kind,
    name: relation.name,
    topic: relation.topic,
    keyFormat: KEY_FORMAT,
    valueFormat: relation.valueFormat,
    isWindowed: false,
  };
}

export function tablesEntity(statementText: string, relations: readonly Relation[]) {
  return {
    '@type': 'tables',
    statementText,
    tables: relations.filter((r) => r.kind === 'TABLE').map(sourceInfo),
    warnings: [],
  };
}

export function streamsEntity(statementText: string, relations: readonly Relation[]) {
  return {
    '@type': 'streams',
    statementText,
    streams: relations.filter((r) => r.kind === 'STREAM').map(sourceInfo),
    warnings: [],
  };
}

/** LIST QUERIES: the topology's sub-topologies, the persistent queries that keep the relations. */
export function queriesEntity(statementText: string, queries: readonly RelationQuery[]) {
  return {
    '@type': 'queries',
    statementText,
    queries: queries.map((query) => ({
      queryString: `sources: ${query.sources.join(', ')}; stores: ${query.stores.join(', ') || 'none'}; sinks: ${query.sinks.join(', ') || 'none'}`,
      sinks: query.stores,
      sinkKafkaTopics: query.sinks,
      id: query.id,
      statusCount: { RUNNING: 1 },
      queryType: 'PERSISTENT',
      state: 'RUNNING',
    })),
    warnings: [],
  };
}

interface SchemaInfo {
  readonly type: string;
  readonly fields: null;
  readonly memberSchema: SchemaInfo | null;
}

function schemaInfo(type: ColumnType): SchemaInfo {
  return typeof type === 'string'
    ? { type, fields: null, memberSchema: null }
    : { type: 'ARRAY', fields: null, memberSchema: schemaInfo(type.element) };
}

export function sourceDescriptionEntity(statementText: string, relation: Relation, extended: boolean) {
  const fields = [
    { name: relation.keyColumn, schema: schemaInfo('STRING'), type: 'KEY' },
    ...relation.columns.map((column) => ({ name: column.name, schema: schemaInfo(column.type) })),
  ];
  return {
    '@type': 'sourceDescription',
    statementText,
    sourceDescription: {
      name: relation.name,
      windowType: null,
      readQueries: [],
      writeQueries: [],
      fields,
      type: relation.kind,
      timestamp: '',
      statistics: '',
      errorStats: '',
      extended,
      keyFormat: KEY_FORMAT,
      valueFormat: relation.valueFormat,
      topic: relation.topic,
      partitions: 0,
      replication: 0,
      statement: '',
      queryOffsetSummaries: [],
      sourceConstraints: [],
    },
    warnings: [],
  };
}

export function isSqlError(error: unknown): error is SqlError {
  return error instanceof SqlError;
}
