import type { FastifyInstance } from 'fastify';
import {
  type EngineSource,
  gatherInstances,
  INTERNAL_ENGINE_PATH,
  localInstanceStatus,
} from '../engine-view.js';
import { COMMON_ERRORS, errorResponses } from '../schemas.js';

export interface EngineRouteOptions {
  readonly engine: EngineSource;
  /** This instance's application.server (host:port). */
  readonly self: string;
}

const count = { type: 'number', minimum: 0 } as const;
const topicPartition = {
  type: 'object',
  required: ['topic', 'partition'],
  properties: { topic: { type: 'string' }, partition: { type: 'integer' } },
} as const;

const statusSchema = {
  type: 'object',
  nullable: true,
  description: "The instance's own account; null when it did not answer.",
  required: ['state', 'ready', 'stores', 'consumerLag', 'deadLetters', 'sampledAt'],
  properties: {
    state: { type: 'string', description: 'CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, ERROR…' },
    ready: { type: 'boolean', description: 'Every active task restored (as /readyz).' },
    stores: {
      type: 'array',
      description: 'Every store copy kept on the instance, active or standby.',
      items: {
        type: 'object',
        required: ['store', 'partition', 'role', 'restoring', 'lag'],
        properties: {
          store: { type: 'string' },
          partition: { type: 'integer' },
          role: { type: 'string', enum: ['active', 'standby'] },
          restoring: { type: 'boolean' },
          lag: { type: 'integer', nullable: true, description: 'Changelog records not yet applied.' },
        },
      },
    },
    consumerLag: {
      type: 'array',
      description: 'Input records not yet processed, by assigned partition.',
      items: { ...topicPartition, properties: { ...topicPartition.properties, lag: count } },
    },
    recordsConsumed: count,
    recordsProcessed: count,
    commits: count,
    rebalances: count,
    restoredRecords: count,
    restoreRemaining: { ...count, description: 'Changelog records still to read by restoring stores.' },
    deadLetters: {
      type: 'array',
      items: {
        type: 'object',
        properties: { topic: { type: 'string' }, code: { type: 'string' }, records: count },
      },
    },
    sampledAt: { type: 'string', format: 'date-time' },
  },
} as const;

const instanceSchema = {
  type: 'object',
  required: ['host', 'memberId', 'self', 'activeTasks', 'standbyTasks', 'partitions', 'status', 'error'],
  properties: {
    host: { type: 'string', nullable: true, description: 'application.server, host:port.' },
    memberId: { type: 'string', nullable: true },
    self: { type: 'boolean', description: 'Whether this is the instance that answered.' },
    activeTasks: {
      type: 'array',
      items: { type: 'string' },
      description: 'Task ids, <sub-topology>_<partition>.',
    },
    standbyTasks: { type: 'array', items: { type: 'string' } },
    partitions: { type: 'array', items: topicPartition },
    status: statusSchema,
    error: { type: 'string', nullable: true, description: 'Why status is null.' },
  },
} as const;

/**
 * The engine across instances (GET /engine, what the console's engine page shows) and each instance's own
 * account (the internal route the others ask).
 */
export function registerEngineRoutes(app: FastifyInstance, options: EngineRouteOptions): void {
  app.get(
    '/engine',
    {
      schema: {
        operationId: 'getEngine',
        tags: ['operations'],
        summary: 'Every instance of the application: its tasks, partitions, lags, restores and dead letters',
        description:
          "Members come from the consumer group's assignment; each is asked for its own figures (2 s at " +
          'most: an instance that does not answer has `status` null and an `error`). Counters are totals ' +
          'since the instance started: a rate is the difference of two answers over their `sampledAt`.',
        response: {
          200: {
            description: 'The instances, sorted by host.',
            type: 'object',
            required: ['instances'],
            properties: { instances: { type: 'array', items: instanceSchema } },
          },
          ...errorResponses(...COMMON_ERRORS),
        },
      },
    },
    async () => ({ instances: await gatherInstances(options.engine, options.self) }),
  );

  app.get(
    INTERNAL_ENGINE_PATH,
    { config: { rateLimit: false }, schema: { hide: true, response: { 200: statusSchema } } },
    async () => localInstanceStatus(options.engine),
  );
}
