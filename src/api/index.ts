/**
 * The Fastify interactive-query API: pull queries routed to the instance that holds the key, push queries
 * as server-sent events, the SSID alert list, metrics and health.
 *
 * Start with `createApiServer` and its options; it reads stores through a `KeyRouter`, writes the alert
 * list through a `KafkaAlertListWriter` and streams events from `createKafkaPushSources`. Errors follow
 * the `apiErrorCodes` catalogue. The rest (PushHub, KafkaPushSource, cursors, metrics) are the pieces the
 * server is made of, for tests and other servers.
 */

export {
  type AlertListWriter,
  KafkaAlertListWriter,
  type KafkaAlertListWriterOptions,
} from './alert-list-writer.js';
export { decodeCursor, encodeCursor } from './cursor.js';
export { API_ERRORS, ApiError, type ApiErrorBody, type ApiErrorCode, apiErrorCodes } from './errors.js';
export { KafkaPushSource, type KafkaPushSourceOptions } from './kafka-push-source.js';
export { ApiMetrics, MergedMetrics, type MetricsSource } from './metrics.js';
export { type ApiServerOptions, DEFAULT_RATE_LIMIT } from './options.js';
export { type ProbeEvent, PushHub, type PushSource, type PushSources, type Unsubscribe } from './push.js';
export {
  createKafkaPushSources,
  decodeAlert,
  type KafkaPushSources,
  type KafkaPushSourcesOptions,
} from './push-sources.js';
export type { RateLimitOptions } from './rate-limit.js';
export {
  type InternalEntries,
  type InternalKeyAnswer,
  type QueryableStreams,
  StoreRouter,
  type StoreRouterOptions,
} from './router.js';
export { registerInternalRoutes } from './routes/internal.js';
export type { KeyRouter, RoutedAnswer, RoutedPage } from './routing.js';
export { createApiServer } from './server.js';
