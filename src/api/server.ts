import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { BearerAuth } from './auth.js';
import { registerConsole } from './console.js';
import { registerDocsUi } from './docs-ui.js';
import { answerFrameworkError, installErrorHandling } from './error-handler.js';
import { ApiError } from './errors.js';
import { fastifyLogger } from './fastify-logger.js';
import { ApiMetrics, MergedMetrics } from './metrics.js';
import { type ApiServerOptions, type ResolvedApiServerOptions, resolveApiServerOptions } from './options.js';
import { FixedWindowRateLimiter } from './rate-limit.js';
import type { ApiRouteConfig } from './route-config.js';
import { registerDeviceRoutes } from './routes/devices.js';
import { registerEngineRoutes } from './routes/engine.js';
import { registerNameRoutes } from './routes/names.js';
import { registerOperationRoutes } from './routes/operations.js';
import { registerSsidAlertRoutes } from './routes/ssid-alerts.js';
import { registerStreamRoutes } from './routes/streams.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * The interactive-query API of one instance: pull queries on the stores (through the KeyRouter), push
 * queries as server-sent events, the alert list, metrics, health, the OpenAPI document at /docs/json with
 * Swagger UI at /docs, and the web console at /.
 * Resolves with the server ready to `listen({port, host})`; `close()` ends open event streams too, but
 * leaves the router, alert list and push sources to their owner.
 */
export async function createApiServer(input: ApiServerOptions): Promise<FastifyInstance> {
  const options = resolveApiServerOptions(input);
  const app = Fastify({
    loggerInstance: fastifyLogger(options.logger),
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    // Names may be 256 characters, each up to 12 once percent-encoded.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: answerFrameworkError(options.instanceName),
    // Requests that come while closing get the catalogue's 503 (from the hook below), not Fastify's own.
    return503OnClosing: false,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'probestream',
        version,
        description:
          'Interactive queries on Wi-Fi probe-request statistics, answered by whichever instance holds the ' +
          'key; push queries as server-sent events; the SSID alert list. Every error is ' +
          '`{"error": {"code", "message"}}`.',
      },
      tags: [
        { name: 'devices', description: 'Pull queries on the statistics stores' },
        { name: 'ssid-alerts', description: 'The SSIDs that raise an alert' },
        { name: 'streams', description: 'Push queries (server-sent events)' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // Bodies are JSON only: anything else is UNSUPPORTED_MEDIA_TYPE rather than a string to trip over.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app, { bodyLimit: options.bodyLimit });
  const metrics = new ApiMetrics();
  installHooks(app, options, metrics);

  registerDeviceRoutes(app, { router: options.router, deviceNames: options.deviceNames });
  registerNameRoutes(app, {
    deviceNames: options.deviceNames,
    authenticated: options.apiToken !== undefined,
  });
  registerSsidAlertRoutes(app, {
    router: options.router,
    alertList: options.alertList,
    authenticated: options.apiToken !== undefined,
  });
  registerStreamRoutes(app, {
    pushSources: options.pushSources,
    instanceName: options.instanceName,
    heartbeatMs: options.heartbeatMs,
    metrics,
  });
  registerOperationRoutes(app, {
    isReady: options.isReady,
    metrics: new MergedMetrics([...options.metricsRegistries, metrics.registry]),
    readyRetryAfterSeconds: options.readyRetryAfterSeconds,
  });
  if (options.engine !== undefined) {
    registerEngineRoutes(app, { engine: options.engine, self: options.instanceName });
  }
  await registerDocsUi(app);
  if (options.console) registerConsole(app);
  await options.registerRoutes?.(app);
  await app.ready();
  return app;
}

/**
 * One hook on the way in, for speed: name this instance, refuse requests once closing, count the client against the rate limit, check
 * the token of a write (before its body is read). One on the way out: the HTTP metrics.
 */
function installHooks(
  app: FastifyInstance,
  options: Readonly<ResolvedApiServerOptions>,
  metrics: ApiMetrics,
): void {
  const { instanceName } = options;
  const limiter = options.rateLimit === false ? undefined : new FixedWindowRateLimiter(options.rateLimit);
  const auth = options.apiToken === undefined ? undefined : new BearerAuth(options.apiToken);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Probestream-Served-By', instanceName);
    if (closing) {
      reply.header('Connection', 'close');
      throw new ApiError('SERVICE_UNAVAILABLE', 'this instance is shutting down; ask another', {
        retryAfterSeconds: 1,
      });
    }
    const config = request.routeOptions.config as ApiRouteConfig;
    if (limiter !== undefined && config.rateLimit !== false) {
      const decision = limiter.take(request.ip);
      if (!decision.allowed) {
        throw new ApiError('RATE_LIMITED', 'too many requests from this client; slow down', {
          retryAfterSeconds: decision.retryAfterSeconds,
        });
      }
    }
    if (auth !== undefined && config.auth === true) auth.check(request.headers.authorization);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, not the URL: a label per MAC would have no end.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });
}
