import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody } from './errors.js';
import type { ApiRouteConfig } from './route-config.js';

/**
 * One way out for every failure: an ApiError answered as `{"error": {"code", "message"}}` with its status
 * and headers. Fastify's own errors (validation, body parsing) are translated into the catalogue; anything
 * else is a bug, logged in full and answered as INTERNAL without a word of its message or stack.
 */
export function installErrorHandling(app: FastifyInstance, options: { readonly bodyLimit: number }): void {
  const allowedMethods = new RouteMethodIndex();
  app.addHook('onRoute', (route) => allowedMethods.add(route.method, route.url));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error, request, options.bodyLimit);
    if (apiError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    sendApiError(reply, apiError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    const allow = allowedMethods.methodsFor(path);
    if (allow.length > 0) {
      sendApiError(
        reply,
        new ApiError('METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allow.join(', ')}`, {
          headers: { Allow: allow.join(', ') },
        }),
      );
      return;
    }
    sendApiError(reply, new ApiError('NOT_FOUND', 'no route has this path; see /docs/json'));
  });
}

/**
 * Fastify's `frameworkErrors`: failures found while routing, before any hook runs (a URL that is not valid
 * percent-encoding, a path parameter past maxParamLength), answered like every other error.
 */
export function answerFrameworkError(
  instanceName: string,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, _request, reply) => {
    reply.header('X-Probestream-Served-By', instanceName);
    const message =
      error.code === 'FST_ERR_BAD_URL'
        ? 'the URL is not valid percent-encoded UTF-8'
        : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? 'a path parameter is too long'
          : 'the request cannot be routed';
    sendApiError(reply, new ApiError('INVALID_REQUEST', message, { cause: error }));
  };
}

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  reply.code(error.statusCode);
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
  return reply.send(errorBody(error));
}

/** The catalogue's error for whatever a request failed with. */
export function toApiError(error: unknown, request: FastifyRequest, bodyLimit: number): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) return validationError(fastifyError, request);
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('INVALID_JSON', 'the body is not valid JSON', { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_REQUEST', missingBodyMessage(request), { cause: error });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimit} bytes`, {
        cause: error,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', { cause: error });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return new ApiError('PAYLOAD_TOO_LARGE', 'the request is too large', { cause: error });
  if (status === 415) {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json', { cause: error });
  }
  // Other client errors from Fastify (a malformed URL, a bad Content-Length) say only what was wrong.
  if (
    status >= 400 &&
    status < 500 &&
    typeof fastifyError.code === 'string' &&
    fastifyError.code.startsWith('FST_')
  ) {
    return new ApiError('INVALID_REQUEST', fastifyError.message ?? 'the request is malformed', {
      cause: error,
    });
  }
  return new ApiError('INTERNAL', 'internal error', { cause: error });
}

function validationError(error: Partial<FastifyError>, request: FastifyRequest): ApiError {
  const first = error.validation?.[0];
  const field = `${error.validationContext ?? ''}${first?.instancePath ?? ''}`;
  const missing =
    first?.keyword === 'required'
      ? (first.params as { missingProperty?: string }).missingProperty
      : undefined;
  const config = request.routeOptions.config as ApiRouteConfig;
  const specific =
    config.invalid?.[field] ?? (missing === undefined ? undefined : config.invalid?.[`${field}/${missing}`]);
  if (specific) return new ApiError(specific.code, specific.message, { cause: error });
  // Ajv's own words ("body must be object") do not tell a person that the body was simply left out.
  if (field === 'body' && first?.keyword === 'type') {
    const message =
      request.body == null
        ? missingBodyMessage(request)
        : `the body must be a JSON object, such as ${bodyExample(request)}`;
    return new ApiError('INVALID_REQUEST', message, { cause: error });
  }
  if (missing !== undefined) {
    return new ApiError(
      'INVALID_REQUEST',
      `the ${field === 'body' ? 'body' : field} needs the field "${missing}"`,
      {
        cause: error,
      },
    );
  }
  return new ApiError('INVALID_REQUEST', error.message ?? 'the request is invalid', { cause: error });
}

function missingBodyMessage(request: FastifyRequest): string {
  return `this request needs a JSON body (Content-Type: application/json), such as ${bodyExample(request)}`;
}

/** `{"reason": "…"}`: the route's required body fields, from its schema. */
function bodyExample(request: FastifyRequest): string {
  const schema = request.routeOptions.schema?.body as { required?: readonly string[] } | undefined;
  const fields = (schema?.required ?? []).map((name) => `"${name}": "…"`);
  return `{${fields.join(', ')}}`;
}

/** Which methods each route pattern has, to tell 405 from 404. */
class RouteMethodIndex {
  readonly #routes: { readonly pattern: RegExp; readonly methods: Set<string> }[] = [];

  add(method: string | string[], url: string): void {
    const source = `^${url
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escapeRegExp(segment)))
      .join('/')}/?$`;
    let route = this.#routes.find((candidate) => candidate.pattern.source === source);
    if (!route) {
      route = { pattern: new RegExp(source), methods: new Set() };
      this.#routes.push(route);
    }
    for (const one of Array.isArray(method) ? method : [method]) route.methods.add(one);
  }

  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) {
      if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
    }
    return [...methods].sort();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
