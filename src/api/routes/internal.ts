import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { parseEntryFilter } from '../filtered-entries.js';
import { INTERNAL_PREFIX, type StoreRouter } from '../router.js';

/**
 * The routes instances use to ask one another (router.ts): what this instance holds for a key, and its
 * sorted part of a store. They answer only from this instance's own copies and never forward again, so a
 * request can never loop. Hidden from the OpenAPI document: they are not for clients.
 */
export function registerInternalRoutes(
  app: FastifyInstance,
  router: StoreRouter,
  isReady: () => boolean,
): void {
  app.get<{ Params: { store: string; key: string }; Querystring: { stale?: string } }>(
    `${INTERNAL_PREFIX}/:store/keys/:key`,
    {
      // Other instances ask on their clients' behalf: those clients were counted where they arrived.
      config: { rateLimit: false },
      schema: {
        hide: true,
        params: {
          type: 'object',
          properties: { store: { type: 'string', maxLength: 200 }, key: { type: 'string', maxLength: 1024 } },
          required: ['store', 'key'],
        },
        querystring: { type: 'object', properties: { stale: { type: 'string', enum: ['0', '1'] } } },
      },
    },
    async (request) => {
      const { store, key } = request.params;
      const answer = await router.local(store, key, request.query.stale === '1');
      if (!answer) {
        throw new ApiError('SERVICE_UNAVAILABLE', `no up-to-date copy of the key here`, {
          retryAfterSeconds: 1,
        });
      }
      return answer;
    },
  );

  app.get<{ Params: { store: string }; Querystring: { limit: number; after?: string; filter?: string } }>(
    `${INTERNAL_PREFIX}/:store/entries`,
    {
      config: { rateLimit: false },
      schema: {
        hide: true,
        params: {
          type: 'object',
          properties: { store: { type: 'string', maxLength: 200 } },
          required: ['store'],
        },
        querystring: {
          type: 'object',
          properties: {
            // Up to 10,000: the SQL layer's scans read large pages; the REST listings ask for at most 1,000.
            limit: { type: 'integer', minimum: 1, maximum: 10_000 },
            after: { type: 'string', maxLength: 1024 },
            // A filter the routes defined (StoreRouter.defineFilter), as JSON: a name and string arguments.
            filter: { type: 'string', maxLength: 4096 },
          },
          required: ['limit'],
        },
      },
    },
    async (request) => {
      // A restoring task's entries are missing from this instance's part: a page without them would be wrong.
      if (!isReady())
        throw new ApiError('SERVICE_UNAVAILABLE', 'this instance is restoring', { retryAfterSeconds: 1 });
      const { limit, after, filter } = request.query;
      const parsed = filter === undefined ? undefined : parseEntryFilter(filter);
      return router.localPage(request.params.store, limit, after, parsed);
    },
  );
}
