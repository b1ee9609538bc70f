import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { MergedMetrics } from '../metrics.js';
import { errorResponses } from '../schemas.js';

export interface OperationRouteOptions {
  readonly isReady: () => boolean;
  readonly metrics: MergedMetrics;
  /** Seconds a 503 from /readyz asks to wait. */
  readonly readyRetryAfterSeconds: number;
}

const statusSchema = (status: string, description: string) =>
  ({
    description,
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: [status] } },
  }) as const;

/** Health, readiness and Prometheus metrics: none of them rate-limited. */
export function registerOperationRoutes(app: FastifyInstance, options: OperationRouteOptions): void {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'Whether the process is up and answering',
        response: { 200: statusSchema('ok', 'The process is up.') },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'Whether every active task of this instance has finished restoring its stores',
        response: {
          200: statusSchema('ready', 'Every store of this instance is restored.'),
          ...errorResponses('NOT_READY'),
        },
      },
    },
    async () => {
      if (!options.isReady()) {
        throw new ApiError('NOT_READY', 'the instance is restoring its stores', {
          retryAfterSeconds: options.readyRetryAfterSeconds,
        });
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'metrics',
        tags: ['operations'],
        summary: 'Process, engine and HTTP metrics in the Prometheus text format, all prefixed probestream_',
        response: {
          200: {
            description: 'Prometheus text exposition 0.0.4.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const text = await options.metrics.text();
      return reply.type(options.metrics.contentType).send(text);
    },
  );
}
