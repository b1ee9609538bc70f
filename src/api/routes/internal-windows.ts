import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { INTERNAL_PREFIX } from '../router.js';
import type { WindowKind, WindowRouter } from '../window-router.js';

/** Epoch ms, as one instance passes a range to another. */
const epochMs = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000 } as const;

const storeParam = { type: 'string', maxLength: 200 } as const;

/**
 * The routes instances use to ask one another for windows (window-router.ts): a key's windows or sessions
 * from this instance's own copy, and its part of every key's windows. Like the key routes (internal.ts),
 * they never forward again and are hidden from the OpenAPI document.
 */
export function registerInternalWindowRoutes(
  app: FastifyInstance,
  windows: WindowRouter,
  isReady: () => boolean,
): void {
  for (const kind of ['windows', 'sessions'] as const satisfies readonly WindowKind[]) {
    app.get<{
      Params: { store: string; key: string };
      Querystring: { from: number; to: number; stale?: string };
    }>(
      `${INTERNAL_PREFIX}/:store/${kind}/:key`,
      {
        config: { rateLimit: false },
        schema: {
          hide: true,
          params: {
            type: 'object',
            properties: { store: storeParam, key: { type: 'string', maxLength: 1024 } },
            required: ['store', 'key'],
          },
          querystring: {
            type: 'object',
            properties: { from: epochMs, to: epochMs, stale: { type: 'string', enum: ['0', '1'] } },
            required: ['from', 'to'],
          },
        },
      },
      async (request) => {
        const { store, key } = request.params;
        const { from, to, stale } = request.query;
        const answer = await windows.local(kind, store, key, { from, to }, stale === '1');
        if (!answer) {
          throw new ApiError('SERVICE_UNAVAILABLE', 'no up-to-date copy of the key here', {
            retryAfterSeconds: 1,
          });
        }
        return answer;
      },
    );
  }

  app.get<{ Params: { store: string }; Querystring: { from: number; to: number; limit: number } }>(
    `${INTERNAL_PREFIX}/:store/windows`,
    {
      config: { rateLimit: false },
      schema: {
        hide: true,
        params: { type: 'object', properties: { store: storeParam }, required: ['store'] },
        querystring: {
          type: 'object',
          properties: {
            from: epochMs,
            to: epochMs,
            limit: { type: 'integer', minimum: 1, maximum: 100_000 },
          },
          required: ['from', 'to', 'limit'],
        },
      },
    },
    async (request) => {
      // A restoring task's windows are missing from this instance's part: an answer without them would be wrong.
      if (!isReady())
        throw new ApiError('SERVICE_UNAVAILABLE', 'this instance is restoring', { retryAfterSeconds: 1 });
      const { from, to, limit } = request.query;
      return windows.localAll(request.params.store, { from, to }, limit);
    },
  );
}
