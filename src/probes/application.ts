import type { Kafka } from 'kafkajs';
import type { DeviceCdc } from '../capture/cdc.js';
import { KafkaStreams, type StreamsConfigInput } from '../topology/index.js';
import { type ProbeTopics, TOPICS } from './schemas.js';
import { ensureProbeTopics } from './topics.js';
import { buildProbeTopology } from './topology.js';

export interface ProbeApplicationOptions {
  /** A client for topic administration and CDC; the engine makes its own from `streams`. */
  readonly kafka: Kafka;
  readonly streams: StreamsConfigInput;
  /** Partitions of the application topics created when missing. */
  readonly partitions: number;
  /** When set, device names come from this MongoDB by change data capture. */
  readonly mongodbUrl?: string | undefined;
  /** Topic names, when they differ from DESIGN.md's (tests give each run its own). */
  readonly topics?: Partial<ProbeTopics>;
  readonly log: (line: string) => void;
  /** Called if the CDC stops for good after it started (MongoDB or Kafka refusing it). */
  readonly onCdcError?: (error: Error) => void;
}

/**
 * The probe application as `probestream start` runs it: creates its missing topics, runs the topology
 * (unreadable records and failing user code go to the DLQ rather than stopping a partition) and, with a
 * MongoDB URL, the device CDC beside it.
 */
export class ProbeApplication {
  readonly streams: KafkaStreams;
  readonly topics: ProbeTopics;
  readonly #options: ProbeApplicationOptions;
  #cdc: DeviceCdc | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: ProbeApplicationOptions) {
    this.#options = options;
    this.topics = { ...TOPICS, ...options.topics };
    this.streams = new KafkaStreams(buildProbeTopology({ topics: this.topics }), {
      deserializationExceptionHandler: 'dlq',
      processingExceptionHandler: 'dlq',
      ...options.streams,
    });
  }

  get cdc(): DeviceCdc | undefined {
    return this.#cdc;
  }

  /** Resolves once the topology has joined its group (and the CDC has written its snapshot). */
  async start(): Promise<void> {
    const { kafka, partitions, log, mongodbUrl } = this.#options;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureProbeTopics(admin, { partitions, log, topics: this.topics });
    } finally {
      await admin.disconnect();
    }
    await this.streams.start();
    if (mongodbUrl !== undefined) {
      // Loaded only when used: the MongoDB driver is a large import that most instances never need.
      const { DeviceCdc } = await import('../capture/cdc.js');
      this.#cdc = new DeviceCdc({
        mongodbUrl,
        kafka,
        applicationId: this.streams.config.applicationId,
        devicesTopic: this.topics.devices,
        log,
        ...(this.#options.onCdcError ? { onError: this.#options.onCdcError } : {}),
      });
      await this.#cdc.start();
    }
  }

  /** Stops the CDC, then the topology (committing what was processed). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#cdc?.close();
      await this.streams.close();
    })();
    return this.#closed;
  }
}
