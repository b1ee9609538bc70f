import { randomInt } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type SelectPlan, type SqlEngine, SqlError, type Statement, schemaText } from '../../query/index.js';
import { BearerAuth } from '../auth.js';
import { ApiError } from '../errors.js';
import {
  genericError,
  queriesEntity,
  sourceDescriptionEntity,
  statementError,
  streamsEntity,
  tablesEntity,
  wrongEndpoint,
} from './entities.js';
import { PushResponse } from './push-response.js';

export interface KsqlRouteOptions {
  readonly engine: SqlEngine;
  /** When set, INSERT needs `Authorization: Bearer <apiToken>`, as the REST writes do. */
  readonly apiToken?: string | undefined;
  /** Whether this instance has restored its stores: /healthcheck. */
  readonly isReady: () => boolean;
  /** Shown by /info as ksqlServiceId (the application.id reads well). */
  readonly serviceId: string;
  /** The Kafka cluster's id, for /info; undefined when it cannot be had now. */
  readonly kafkaClusterId: () => Promise<string | undefined>;
}

const KSQL_MEDIA_TYPE = 'application/vnd.ksql.v1+json';
/** Bodies this large are read, so that a long statement gets the SQL layer's own clear 400. */
const BODY_LIMIT = 2 * 1024 * 1024;
const OFFSET_RESET = 'ksql.streams.auto.offset.reset';

interface KsqlBody {
  readonly ksql?: unknown;
  readonly streamsProperties?: unknown;
}

/**
 * ksqlDB 0.29's REST API, so that a client written for ksqlDB works unchanged: `POST /query` (pull queries
 * as a JSON array; push queries as the same array written line by line as rows come), `POST /ksql` (SHOW,
 * LIST, DESCRIBE, INSERT), `GET /info` and `GET /healthcheck`. Errors are ksqlDB's bodies, not the API's.
 */
export async function registerKsqlRoutes(app: FastifyInstance, options: KsqlRouteOptions): Promise<void> {
  const auth = options.apiToken === undefined ? undefined : new BearerAuth(options.apiToken);
  const open = new Set<PushResponse>();
  app.addHook('preClose', async () => {
    for (const response of open) response.close();
  });
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      KSQL_MEDIA_TYPE,
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      scope.getDefaultJsonParser('error', 'error'),
    );
    scope.setErrorHandler((error: FastifyError, request, reply) => sendError(request, reply, error));
    const routeOptions = { bodyLimit: BODY_LIMIT, schema: { hide: true } };

    scope.post<{ Body: KsqlBody }>('/query', routeOptions, async (request, reply) => {
      const text = ksqlText(request.body);
      const statements = options.engine.parse(text);
      const statement = statements[0] as Statement;
      if (statements.length > 1) throw new SqlError('SQL_PARSE_ERROR', '/query runs one SELECT at a time');
      if (statement.kind !== 'select') throw wrongEndpoint(statement.text, '/query');
      const plan = options.engine.plan(statement);
      const from = offsetReset(request.body);
      if (plan.mode === 'pull') {
        const rows = await options.engine.pull(plan);
        reply.type(mediaType(request));
        return [{ header: header(plan) }, ...rows.map((columns) => ({ row: { columns } }))];
      }
      await streamPush(request, reply, plan, from, open, options.engine);
      return reply;
    });

    scope.post<{ Body: KsqlBody }>('/ksql', routeOptions, async (request, reply) => {
      const statements = options.engine.parse(ksqlText(request.body));
      if (auth !== undefined && statements.some((s) => s.kind === 'insert'))
        auth.check(request.headers.authorization);
      const entities: unknown[] = [];
      for (const statement of statements) {
        try {
          const entity = await runStatement(options.engine, statement);
          if (entity !== undefined) entities.push(entity);
        } catch (error) {
          if (!(error instanceof SqlError)) throw error;
          const { status, body } = statementError(error, statement.text);
          return reply
            .code(status)
            .type(mediaType(request))
            .send({ ...body, entities });
        }
      }
      reply.type(mediaType(request));
      return entities;
    });

    registerServerRoutes(scope, options);
  });
}

/** `GET /info` and `GET /healthcheck`, as ksqlDB answers them. */
function registerServerRoutes(scope: FastifyInstance, options: KsqlRouteOptions): void {
  scope.get('/info', { schema: { hide: true } }, async (request, reply) => {
    reply.type(mediaType(request));
    const clusterId = await options.kafkaClusterId().catch(() => undefined);
    return {
      KsqlServerInfo: {
        version: '0.29.0',
        kafkaClusterId: clusterId ?? '',
        ksqlServiceId: options.serviceId,
        serverStatus: options.isReady() ? 'RUNNING' : 'ERROR',
      },
    };
  });

  scope.get('/healthcheck', { schema: { hide: true } }, async (request, reply) => {
    const healthy = options.isReady();
    reply.code(healthy ? 200 : 503).type(mediaType(request));
    return {
      isHealthy: healthy,
      details: {
        metastore: { isHealthy: true },
        kafka: { isHealthy: healthy },
        commandRunner: { isHealthy: true },
      },
    };
  });
}

async function runStatement(engine: SqlEngine, statement: Statement): Promise<unknown> {
  const relations = engine.catalog.list();
  switch (statement.kind) {
    case 'select':
      throw wrongEndpoint(statement.text, '/ksql');
    case 'show':
      if (statement.what === 'TABLES') return tablesEntity(statement.text, relations);
      if (statement.what === 'STREAMS') return streamsEntity(statement.text, relations);
      return queriesEntity(statement.text, engine.catalog.queries());
    case 'describe': {
      const relation = engine.catalog.get(statement.relation.name);
      if (relation === undefined) {
        throw new SqlError(
          'SQL_UNKNOWN_RELATION',
          `Could not find STREAM/TABLE '${statement.relation.name}' in the Metastore`,
        );
      }
      return sourceDescriptionEntity(statement.text, relation, statement.extended);
    }
    case 'insert':
      // ksqlDB answers an INSERT with no entity.
      await engine.insert(statement);
      return undefined;
  }
}

function ksqlText(body: KsqlBody | undefined): string {
  if (typeof body !== 'object' || body === null || typeof body.ksql !== 'string') {
    throw new SqlError(
      'SQL_PARSE_ERROR',
      'the body must be a JSON object with the statement in "ksql" (a string)',
    );
  }
  return body.ksql;
}

function offsetReset(body: KsqlBody): 'latest' | 'earliest' {
  const properties = body.streamsProperties;
  if (properties === undefined || properties === null) return 'latest';
  if (typeof properties !== 'object' || Array.isArray(properties)) {
    throw new SqlError(
      'SQL_PARSE_ERROR',
      '"streamsProperties" must be an object of property names to values',
    );
  }
  const value = (properties as Record<string, unknown>)[OFFSET_RESET] ?? 'latest';
  if (value !== 'latest' && value !== 'earliest') {
    throw new SqlError(
      'SQL_PARSE_ERROR',
      `${OFFSET_RESET} is 'latest' or 'earliest', not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function mediaType(request: FastifyRequest): string {
  const asked = `${request.headers.accept ?? ''} ${request.headers['content-type'] ?? ''}`;
  return asked.includes(KSQL_MEDIA_TYPE) ? KSQL_MEDIA_TYPE : 'application/json';
}

function header(plan: SelectPlan): { queryId: string; schema: string } {
  const kind = plan.mode === 'pull' ? 'query' : 'transient';
  return {
    queryId: `${kind}_${plan.from.name}_${Date.now()}${randomInt(1000, 9999)}`,
    schema: schemaText(plan.columns),
  };
}

async function streamPush(
  request: FastifyRequest,
  reply: FastifyReply,
  plan: SelectPlan,
  from: 'latest' | 'earliest',
  open: Set<PushResponse>,
  engine: SqlEngine,
): Promise<void> {
  const response = new PushResponse(
    reply.raw,
    mediaType(request),
    String(reply.getHeader('X-Probestream-Served-By') ?? ''),
  );
  // Started before the header is written: a query refused (too many, Kafka away) still answers a 4xx/5xx.
  const stop = await engine.push(plan, from, response);
  reply.hijack();
  open.add(response);
  response.onClose(() => {
    stop();
    open.delete(response);
  });
  response.open(header(plan));
  // The request body has been read (so request.raw counts as destroyed): the socket says whether the client left.
  if (request.raw.socket.destroyed) response.close();
}

function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: FastifyError | SqlError | ApiError,
): FastifyReply {
  reply.type(mediaType(request));
  const text =
    typeof (request.body as KsqlBody | undefined)?.ksql === 'string'
      ? ((request.body as KsqlBody).ksql as string)
      : '';
  if (error instanceof SqlError) {
    const { status, body } = statementError(error, text.length > 1000 ? `${text.slice(0, 1000)}…` : text);
    return reply.code(status).send(body);
  }
  if (error instanceof ApiError) {
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
    return reply.code(error.statusCode).send(genericError(error));
  }
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500
      ? error.statusCode
      : 500;
  if (status === 500) request.log.error({ err: error }, 'ksql request failed');
  const message =
    status === 413
      ? `the body is larger than ${BODY_LIMIT} bytes`
      : status === 415
        ? `the body must be ${KSQL_MEDIA_TYPE} or application/json`
        : status === 500
          ? 'the server failed; details are in its log'
          : 'the body is not valid JSON';
  return reply.code(status).send({ '@type': 'generic_error', error_code: status * 100, message });
}
