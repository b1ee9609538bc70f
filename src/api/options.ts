import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import { type Logger, silentLogger } from '../logging/index.js';
import type { AlertListWriter } from './alert-list-writer.js';
import { type DeviceNames, NO_DEVICE_NAMES } from './device-names.js';
import type { EngineSource } from './engine-view.js';
import { isHeaderSafe } from './headers.js';
import type { MetricsSource } from './metrics.js';
import type { PushSources } from './push.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { KeyRouter } from './routing.js';

export interface ApiServerOptions {
  /** Reads stores wherever their keys live (routing.ts). */
  readonly router: KeyRouter;
  /** Whether every active task has finished restoring: /readyz. */
  readonly isReady: () => boolean;
  /** Registries served at /metrics beside the API's own (process and HTTP), e.g. `streams.metrics.registry`. */
  readonly metricsRegistries?: readonly (Registry | MetricsSource)[];
  /** The devices table: names by MAC, the name index, manual names. Default: none, and writes refused. */
  readonly deviceNames?: DeviceNames;
  /** Where the alert list's writes go (KafkaAlertListWriter). */
  readonly alertList: AlertListWriter;
  /** The push queries' events (createKafkaPushSources). */
  readonly pushSources: PushSources;
  /** When set, writes need `Authorization: Bearer <apiToken>`. Unset: writes are open. */
  readonly apiToken?: string | undefined;
  /** host:port of this instance (application.server), sent as X-Probestream-Served-By. */
  readonly instanceName: string;
  /** Where the server logs: failed requests (INTERNAL) at error, Fastify's own entries at debug. Default: nowhere. */
  readonly logger?: Logger;
  /**
   * Requests per client address in each window; false turns the limit off (benchmarks). Defaults to 6,000
   * per 60,000 ms. max is 1 to 10,000,000; timeWindowMs 1 to 3,600,000.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /** The largest request body in bytes, 1 to 16 MiB. Defaults to 16 KiB. */
  readonly bodyLimit?: number;
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client address. Defaults to false. */
  readonly trustProxy?: FastifyServerOptions['trustProxy'];
  /** ms between SSE heartbeat comments, 10 to 3,600,000. Defaults to 15,000. */
  readonly heartbeatMs?: number;
  /** Seconds a 503 from /readyz asks to wait, 1 to 3,600. Defaults to 5. */
  readonly readyRetryAfterSeconds?: number;
  /** The running engine, for GET /engine (the console's engine page). Default: no such route. */
  readonly engine?: EngineSource | undefined;
  /** Whether to serve the web console at `/`. Defaults to true. */
  readonly console?: boolean;
  /** Adds routes of other parts (the router's internal routes), with this server's hooks and errors. */
  readonly registerRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

export interface ResolvedApiServerOptions
  extends Required<
    Omit<ApiServerOptions, 'apiToken' | 'logger' | 'trustProxy' | 'registerRoutes' | 'engine'>
  > {
  readonly apiToken: string | undefined;
  readonly logger: Logger;
  readonly trustProxy: FastifyServerOptions['trustProxy'];
  readonly engine: EngineSource | undefined;
  readonly registerRoutes: ((app: FastifyInstance) => void | Promise<void>) | undefined;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({ max: 6000, timeWindowMs: 60_000 });

/** Checks the options once and fills in the defaults; a programmer's mistake throws TypeError. */
export function resolveApiServerOptions(options: ApiServerOptions): Readonly<ResolvedApiServerOptions> {
  for (const name of ['router', 'alertList', 'pushSources'] as const) {
    if (typeof options[name] !== 'object' || options[name] === null)
      throw new TypeError(`${name} is required`);
  }
  if (typeof options.isReady !== 'function') throw new TypeError('isReady must be a function');
  if (typeof options.instanceName !== 'string' || !isHeaderSafe(options.instanceName)) {
    throw new TypeError('instanceName must be host:port, visible ASCII without spaces');
  }
  if (
    options.apiToken !== undefined &&
    (typeof options.apiToken !== 'string' || options.apiToken.length === 0)
  ) {
    throw new TypeError('apiToken must be a non-empty string when set');
  }
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (rateLimit !== false) {
    integer('rateLimit.max', rateLimit.max, 1, 10_000_000);
    integer('rateLimit.timeWindowMs', rateLimit.timeWindowMs, 1, 3_600_000);
  }
  return Object.freeze({
    router: options.router,
    isReady: options.isReady,
    metricsRegistries: Object.freeze([...(options.metricsRegistries ?? [])]),
    alertList: options.alertList,
    deviceNames: options.deviceNames ?? NO_DEVICE_NAMES,
    pushSources: options.pushSources,
    apiToken: options.apiToken,
    instanceName: options.instanceName,
    logger: options.logger ?? silentLogger,
    rateLimit: rateLimit === false ? false : Object.freeze({ ...rateLimit }),
    bodyLimit: integer('bodyLimit', options.bodyLimit ?? 16 * 1024, 1, 16 * 1024 * 1024),
    trustProxy: options.trustProxy ?? false,
    heartbeatMs: integer('heartbeatMs', options.heartbeatMs ?? 15_000, 10, 3_600_000),
    readyRetryAfterSeconds: integer('readyRetryAfterSeconds', options.readyRetryAfterSeconds ?? 5, 1, 3600),
    engine: options.engine,
    console: options.console ?? true,
    registerRoutes: options.registerRoutes,
  });
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
  return value;
}
