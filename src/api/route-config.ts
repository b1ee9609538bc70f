import type { ApiErrorCode } from './errors.js';

/**
 * What a route says about itself in its `config`, read by the server's hooks and error handler.
 */
export interface ApiRouteConfig {
  /** The route writes: it needs `Authorization: Bearer <apiToken>` when the server has a token. */
  readonly auth?: boolean;
  /** false: requests to this route are not counted by the rate limit (health checks, scrapes). */
  readonly rateLimit?: boolean;
  /**
   * The error to answer when validation of one field fails, instead of INVALID_REQUEST, by where the field
   * is: `params/mac`, `querystring/cursor`, `body/reason`.
   */
  readonly invalid?: Readonly<Record<string, { readonly code: ApiErrorCode; readonly message: string }>>;
}

declare module 'fastify' {
  interface FastifyContextConfig extends ApiRouteConfig {}
}
