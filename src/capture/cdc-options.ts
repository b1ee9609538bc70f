import type { Kafka } from 'kafkajs';
import { type Logger, silentLogger } from '../logging/index.js';
import { TOPICS } from '../probes/schemas.js';
import type { CaptureError } from './errors.js';

export interface DeviceCdcOptions {
  /** The controller's MongoDB, e.g. `mongodb://127.0.0.1:27117/`. Its credentials never reach a log line. */
  readonly mongodbUrl: string;
  /** The client the CDC makes its transactional producer, admin and offsets reader from. */
  readonly kafka: Kafka;
  /** Names the offsets topic (`<applicationId>-cdc-offsets`) and the transactional id (`<applicationId>-cdc`). */
  readonly applicationId: string;
  /** The controller's database. Defaults to `ace`. */
  readonly database?: string;
  /** Must exist already (the CDC fails with CDC_TOPIC_MISSING otherwise). Defaults to `devices`. */
  readonly devicesTopic?: string;
  /** How often the snapshot-diff fallback reads the collections: 100 to 86400000 ms. Defaults to 10000. */
  readonly pollIntervalMs?: number;
  /** False skips change streams and snapshot-diffs from the start. Defaults to true (fall back only on need). */
  readonly changeStreams?: boolean;
  /** Where the CDC logs, under its namespace `device CDC`. Default: nowhere. */
  readonly logger?: Logger;
  /** Called once when the CDC stops for good after `start()` resolved; the error is also logged. */
  readonly onError?: (error: CaptureError) => void;
}

export type ResolvedCdcOptions = Readonly<Required<Omit<DeviceCdcOptions, 'onError'>>> &
  Pick<DeviceCdcOptions, 'onError'>;

/** Checks the options once and fills in the defaults; a programmer's mistake throws TypeError. */
export function resolveCdcOptions(options: DeviceCdcOptions): ResolvedCdcOptions {
  const { mongodbUrl, kafka, applicationId, database = 'ace', devicesTopic = TOPICS.devices } = options;
  const { pollIntervalMs = 10_000, changeStreams = true, logger = silentLogger, onError } = options;
  if (typeof mongodbUrl !== 'string' || !/^mongodb(\+srv)?:\/\//.test(mongodbUrl)) {
    throw new TypeError('mongodbUrl must be a mongodb:// or mongodb+srv:// URL');
  }
  if (typeof kafka?.producer !== 'function') throw new TypeError('kafka must be a kafkajs Kafka client');
  for (const [name, value] of Object.entries({ applicationId, database, devicesTopic })) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
  }
  if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 100 || pollIntervalMs > 86_400_000) {
    throw new TypeError(`pollIntervalMs must be an integer from 100 to 86400000, not ${pollIntervalMs}`);
  }
  return Object.freeze({
    ...{ mongodbUrl, kafka, applicationId, database, devicesTopic, pollIntervalMs, changeStreams, logger },
    onError,
  });
}
