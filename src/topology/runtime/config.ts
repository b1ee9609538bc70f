import { randomUUID } from 'node:crypto';
import type { KafkaConfig } from 'kafkajs';
import { defaultLogger, type Logger } from '../../logging/index.js';
import { StreamsError } from '../errors.js';
import { type ProducerClient, producerClients } from '../kafka/streams-producer.js';

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once';
export type ExceptionHandling = 'dlq' | 'fail';

/** What KafkaStreams takes. Every field but the first two has a default; see STREAMS_CONFIG_DOCS. */
export interface StreamsConfigInput {
  readonly applicationId: string;
  readonly bootstrapServers: string | readonly string[];
  readonly applicationServer?: string;
  readonly stateDir?: string;
  readonly commitIntervalMs?: number;
  readonly processingGuarantee?: ProcessingGuarantee;
  readonly deserializationExceptionHandler?: ExceptionHandling;
  readonly processingExceptionHandler?: ExceptionHandling;
  readonly productionExceptionHandler?: ExceptionHandling;
  readonly maxRequestBytes?: number;
  readonly producerClient?: ProducerClient;
  readonly cacheMaxBytes?: number;
  readonly numStandbyReplicas?: number;
  readonly sessionTimeoutMs?: number;
  readonly taskTimeoutMs?: number;
  readonly stateCleanupDelayMs?: number;
  readonly clientId?: string;
  /** kafkajs settings for a managed cluster (ssl, sasl, timeouts); brokers and clientId come from above. */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
  readonly logger?: Logger;
}

/** The validated, frozen configuration. */
export interface StreamsConfig {
  readonly applicationId: string;
  readonly bootstrapServers: readonly string[];
  readonly applicationServer: string | undefined;
  readonly stateDir: string;
  readonly commitIntervalMs: number;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly deserializationExceptionHandler: ExceptionHandling;
  readonly processingExceptionHandler: ExceptionHandling;
  readonly productionExceptionHandler: ExceptionHandling;
  readonly maxRequestBytes: number;
  readonly producerClient: ProducerClient;
  readonly cacheMaxBytes: number;
  readonly numStandbyReplicas: number;
  readonly sessionTimeoutMs: number;
  readonly taskTimeoutMs: number;
  readonly stateCleanupDelayMs: number;
  readonly clientId: string;
  readonly kafka: Omit<KafkaConfig, 'brokers' | 'clientId'>;
  /** Kept on the thread that made the config: WorkerStreams posts the rest to its worker. */
  readonly logger: Logger;
}

/** Each setting beside its doc and default, as the README's configuration table states them. */
export const STREAMS_CONFIG_DOCS = {
  applicationId:
    'application.id: the consumer group, and the prefix of internal topics. Letters, digits, ".", "_", "-". Required.',
  bootstrapServers: 'bootstrap.servers: host:port list, an array or comma-separated. Required.',
  applicationServer:
    'application.server: host:port other instances use to reach this one for interactive queries. Default: unset.',
  stateDir: 'state.dir: folder for local state. Default "./state".',
  commitIntervalMs: 'commit.interval.ms: how often progress is committed, 1 to 3,600,000. Default 1000.',
  processingGuarantee:
    'processing.guarantee: "at_least_once" (default) or "exactly_once" (a Kafka transaction per task and commit).',
  deserializationExceptionHandler:
    '"dlq" (default): an unreadable record goes to <application.id>-dlq and processing goes on; "fail": the instance stops.',
  processingExceptionHandler:
    '"dlq" (default): a record that user code throws on goes to the DLQ and processing goes on; "fail": the instance stops, naming the record.',
  productionExceptionHandler:
    '"dlq" (default): a record too large for the topic it is written to (or for a changelog) goes to the DLQ, cut to fit, and processing goes on; "fail": the instance stops, naming the record.',
  maxRequestBytes:
    "max.request.size: bytes of records in one produce request, and the largest record written, 1,024 to 104,857,600. Default 1,048,576. A topic's own max.message.bytes also bounds each partition's share.",
  producerClient:
    '"kafkajs" (default): commits produce through kafkajs\'s producer; "native": through probestream\'s own, which writes record batches straight from the records (the same connections, retries, idempotence and transactions, from kafkajs 2.2.4\'s internals), at less CPU per record.',
  cacheMaxBytes:
    "Bytes of buffered store writes per instance before an early commit, 0 to 1 GiB. Default 10 MiB. Above 0, a table aggregation forwards each key's latest update at the commit, as Kafka Streams' caches do; 0 forwards every update at once.",
  numStandbyReplicas: 'num.standby.replicas: warm copies of each task on other instances, 0 to 3. Default 0.',
  sessionTimeoutMs: 'Consumer group session timeout, 6,000 to 300,000 ms. Default 30,000.',
  taskTimeoutMs:
    'How long commits may keep failing while Kafka is unavailable (each time waited out, the tasks going back to their last commit) before the instance stops, 0 to 86,400,000 ms. Default 300,000 (task.timeout.ms).',
  stateCleanupDelayMs:
    'state.cleanup.delay.ms: how long the files of a task owned elsewhere are kept, 0 to 86,400,000. Default 600,000.',
  clientId: 'Client id prefix for Kafka. Default <application.id>-<random>.',
  logger:
    'Where the engine logs (a Logger: debug/info/warn/error, child); kafkajs logs to its child "kafkajs" at debug. Default: text lines on stderr, PROBESTREAM_LOG=silent mutes them, PROBESTREAM_DEBUG adds debug.',
} as const;

function invalid(key: string, why: string): StreamsError {
  return new StreamsError(
    'INVALID_CONFIG',
    `${key}: ${why}. ${STREAMS_CONFIG_DOCS[key as keyof typeof STREAMS_CONFIG_DOCS] ?? ''}`.trim(),
  );
}

function integer(
  input: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = input[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function oneOf<T extends string>(
  input: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = input[key] ?? fallback;
  if (!allowed.includes(value as T)) {
    throw invalid(
      key,
      `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

const HOST_PORT_SHAPE = /^(?:[^\s:[\]]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

/** host:port, or [ipv6]:port, with a port from 1 to 65535. */
function isHostPort(value: unknown): value is string {
  const match = typeof value === 'string' ? HOST_PORT_SHAPE.exec(value) : null;
  const port = Number(match?.[1]);
  return port >= 1 && port <= 65535;
}

/** Checks every setting once, fills defaults, and freezes the result. Throws StreamsError INVALID_CONFIG. */
export function streamsConfig(input: StreamsConfigInput | StreamsConfig): StreamsConfig {
  if (validated.has(input as StreamsConfig)) return input as StreamsConfig;
  // A JavaScript caller may pass anything: every key is checked below, as untyped input.
  const raw = (input ?? {}) as unknown as Record<string, unknown>;
  const known = new Set([...Object.keys(STREAMS_CONFIG_DOCS), 'kafka']);
  for (const key of Object.keys(raw)) if (!known.has(key)) throw invalid(key, 'is not a setting');

  const applicationId = raw.applicationId;
  if (typeof applicationId !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(applicationId)) {
    throw invalid(
      'applicationId',
      `must be 1 to 200 letters, digits, ".", "_" or "-", got ${JSON.stringify(applicationId)}`,
    );
  }
  const servers =
    typeof raw.bootstrapServers === 'string' ? raw.bootstrapServers.split(',') : raw.bootstrapServers;
  if (!Array.isArray(servers) || servers.length === 0) throw invalid('bootstrapServers', 'is required');
  const bootstrapServers = servers.map((server) => String(server).trim());
  for (const server of bootstrapServers) {
    if (!isHostPort(server)) throw invalid('bootstrapServers', `${JSON.stringify(server)} is not host:port`);
  }
  const applicationServer = raw.applicationServer;
  if (applicationServer !== undefined && !isHostPort(applicationServer)) {
    throw invalid('applicationServer', `must be host:port, got ${JSON.stringify(applicationServer)}`);
  }
  const processingGuarantee = oneOf(
    raw,
    'processingGuarantee',
    ['at_least_once', 'exactly_once'] as const,
    'at_least_once',
  );
  const numStandbyReplicas = integer(raw, 'numStandbyReplicas', 0, 0, 3);
  const stateDir = raw.stateDir ?? './state';
  if (typeof stateDir !== 'string' || stateDir === '') throw invalid('stateDir', 'must be a folder path');
  const clientId = raw.clientId ?? `${applicationId}-${randomUUID().slice(0, 8)}`;
  if (typeof clientId !== 'string' || clientId === '')
    throw invalid('clientId', 'must be a non-empty string');
  const logger = raw.logger ?? defaultLogger();
  if (!isLogger(logger)) throw invalid('logger', 'must have debug, info, warn, error and child functions');

  const config: StreamsConfig = Object.freeze({
    applicationId,
    bootstrapServers: Object.freeze(bootstrapServers),
    applicationServer,
    stateDir,
    commitIntervalMs: integer(raw, 'commitIntervalMs', 1000, 1, 3_600_000),
    processingGuarantee,
    deserializationExceptionHandler: oneOf(
      raw,
      'deserializationExceptionHandler',
      ['dlq', 'fail'] as const,
      'dlq',
    ),
    processingExceptionHandler: oneOf(raw, 'processingExceptionHandler', ['dlq', 'fail'] as const, 'dlq'),
    productionExceptionHandler: oneOf(raw, 'productionExceptionHandler', ['dlq', 'fail'] as const, 'dlq'),
    maxRequestBytes: integer(raw, 'maxRequestBytes', 1_048_576, 1024, 104_857_600),
    producerClient: oneOf(raw, 'producerClient', producerClients, 'kafkajs'),
    cacheMaxBytes: integer(raw, 'cacheMaxBytes', 10 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    numStandbyReplicas,
    sessionTimeoutMs: integer(raw, 'sessionTimeoutMs', 30_000, 6_000, 300_000),
    taskTimeoutMs: integer(raw, 'taskTimeoutMs', 300_000, 0, 86_400_000),
    stateCleanupDelayMs: integer(raw, 'stateCleanupDelayMs', 600_000, 0, 86_400_000),
    clientId,
    kafka: Object.freeze({ ...((raw.kafka as object | undefined) ?? {}) }),
    logger,
  });
  validated.add(config);
  return config;
}

function isLogger(value: unknown): value is Logger {
  const methods = ['debug', 'info', 'warn', 'error', 'child'] as const;
  return (
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Logger)[m] === 'function')
  );
}

/** Configs this module made: validated and frozen, so handing one back in costs nothing. */
const validated = new WeakSet<StreamsConfig>();
