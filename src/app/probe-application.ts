import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaAlertListWriter } from '../api/alert-list-writer.js';
import { DEVICE_FILTER, deviceFilter } from '../api/device-listing.js';
import { KafkaDeviceNames } from '../api/device-names.js';
import { createKafkaPushSources, type KafkaPushSources } from '../api/push-sources.js';
import type { RateLimitOptions } from '../api/rate-limit.js';
import { StoreRouter } from '../api/router.js';
import { registerInternalRoutes } from '../api/routes/internal.js';
import { registerInternalWindowRoutes } from '../api/routes/internal-windows.js';
import { registerWindowedViewRoutes } from '../api/routes/windowed-views.js';
import { createApiServer } from '../api/server.js';
import { WindowRouter } from '../api/window-router.js';
import type { DeviceCdc } from '../capture/cdc.js';
import type { Logger } from '../logging/index.js';
import { DeviceDirectory } from '../probes/device-directory.js';
import { DeviceWriter } from '../probes/device-writer.js';
import { type ProbeTopics, STORES, TOPICS } from '../probes/schemas.js';
import { ensureProbeTopics } from '../probes/topics.js';
import { buildProbeTopology } from '../probes/topology.js';
import type { SqlEngine } from '../query/index.js';
import { type StreamsConfigInput, type Topology, WorkerStreams } from '../topology/index.js';
import { registerProbeSqlRoutes } from './sql-routes.js';

export interface ProbeApiOptions {
  /** The port to listen on; the instance advertises it as application.server (which must agree). */
  readonly port: number;
  /** Default '0.0.0.0': other instances must reach it. */
  readonly host?: string;
  readonly apiToken?: string | undefined;
  readonly rateLimit?: RateLimitOptions | false;
}

export interface ProbeApplicationOptions {
  /** A client for topic administration, CDC and the API's producer and push consumers. */
  readonly kafka: Kafka;
  readonly streams: StreamsConfigInput;
  /** Partitions of the application topics created when missing. */
  readonly partitions: number;
  /** A `pcap` record larger than this goes to the DLQ unread. Default 65,536. */
  readonly maxPcapRecordBytes?: number | undefined;
  /** At most one alert per (MAC, SSID) per window of this many ms; 0 (the default): one per probe. */
  readonly alertSuppressWindowMs?: number | undefined;
  /** When set, device names come from this MongoDB by change data capture. */
  readonly mongodbUrl?: string | undefined;
  /** When set, the interactive-query API runs on this port. */
  readonly api?: ProbeApiOptions | undefined;
  /** Topic names, when they differ from the defaults (docs/architecture.md, "Topic contracts"; tests give each run its own). */
  readonly topics?: Partial<ProbeTopics>;
  /** The one logger of every part: the engine's (unless `streams.logger` is given), the API's, the CDC's. */
  readonly logger: Logger;
  /** How the SQL relations show times to people (PCAP_STATS_01). Default Europe/London. */
  readonly timeZone?: string | undefined;
  /** Called if the CDC stops for good after it started (MongoDB or Kafka refusing it). */
  readonly onCdcError?: (error: Error) => void;
}

/**
 * The probe application as `probestream start` runs it: creates its missing topics, runs the topology
 * (unreadable records and failing user code go to the DLQ rather than stopping a partition), the API on
 * its port and, with a MongoDB URL, the device CDC.
 *
 * The topology runs in a worker thread (WorkerStreams): its processing never holds up the API, which
 * answers key lookups from a mirror of the stores on this thread.
 */
export class ProbeApplication {
  readonly streams: WorkerStreams;
  readonly topics: ProbeTopics;
  /** Served at /metrics beside the engine's: for parts started beside the application (the bot). */
  readonly extraMetrics = new Registry();
  readonly #options: ProbeApplicationOptions;
  readonly #topology: Topology;
  #cdc: DeviceCdc | undefined;
  #api: FastifyInstance | undefined;
  #alertList: KafkaAlertListWriter | undefined;
  #directory: DeviceDirectory | undefined;
  #deviceWriter: DeviceWriter | undefined;
  #pushSources: KafkaPushSources | undefined;
  #closed: Promise<void> | undefined;
  #sql: SqlEngine | undefined;

  constructor(options: ProbeApplicationOptions) {
    this.#options = options;
    this.topics = { ...TOPICS, ...options.topics };
    const args = {
      topics: this.topics,
      ...(options.maxPcapRecordBytes === undefined ? {} : { maxPcapRecordBytes: options.maxPcapRecordBytes }),
      ...(options.alertSuppressWindowMs ? { alertSuppressWindowMs: options.alertSuppressWindowMs } : {}),
    };
    // The same module as buildProbeTopology's: .ts when run from the sources, .js when built.
    const module = new URL(
      `../probes/topology${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
      import.meta.url,
    );
    this.#topology = buildProbeTopology(args);
    this.streams = new WorkerStreams(
      this.#topology,
      { module: module.href, exportName: 'buildProbeTopology', args },
      {
        deserializationExceptionHandler: 'dlq',
        processingExceptionHandler: 'dlq',
        logger: options.logger,
        ...options.streams,
      },
      // The stores whose keys the API looks up; the others are read through the worker.
      { mirroredStores: [STORES.statsByMac, STORES.statsByName] },
    );
  }

  get cdc(): DeviceCdc | undefined {
    return this.#cdc;
  }

  /** The SQL engine behind the API's ksqlDB endpoints, once started. */
  get sql(): SqlEngine | undefined {
    return this.#sql;
  }

  /** The API server, once started. */
  get api(): FastifyInstance | undefined {
    return this.#api;
  }

  /** Resolves once the topology has joined its group, the API listens and the CDC has written its snapshot. */
  async start(): Promise<void> {
    const { kafka, partitions, logger, mongodbUrl } = this.#options;
    try {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureProbeTopics(admin, { partitions, logger, topics: this.topics });
      } finally {
        await admin.disconnect();
      }
      this.#checkOpen();
      await this.streams.start();
      this.#checkOpen();
      if (this.#options.api) await this.#startApi(this.#options.api);
      this.#checkOpen();
      if (mongodbUrl !== undefined) {
        // Loaded only when used: the MongoDB driver is a large import that most instances never need.
        const { DeviceCdc } = await import('../capture/cdc.js');
        this.#checkOpen();
        this.#cdc = new DeviceCdc({
          mongodbUrl,
          kafka,
          applicationId: this.streams.config.applicationId,
          devicesTopic: this.topics.devices,
          logger,
          ...(this.#options.onCdcError ? { onError: this.#options.onCdcError } : {}),
        });
        await this.#cdc.start();
        this.#checkOpen();
      }
    } catch (error) {
      // Closed while starting (Ctrl-C during start-up): what this start opened after close() ran is closed too.
      if (this.#closed) {
        await this.#closeParts();
        return;
      }
      throw error;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('closed while starting');
  }

  async #startApi(options: ProbeApiOptions): Promise<void> {
    const self = this.streams.config.applicationServer ?? `127.0.0.1:${options.port}`;
    const isReady = () => this.streams.isReady();
    const router = new StoreRouter({ streams: this.streams, self, isReady });
    const windows = new WindowRouter(router, this.streams);
    this.#alertList = new KafkaAlertListWriter({
      kafka: this.#options.kafka,
      topic: this.topics.ssidAlertList,
    });
    // Every instance reads the whole devices table: names by MAC and by prefix are answered here.
    this.#directory = new DeviceDirectory({
      kafka: this.#options.kafka,
      topic: this.topics.devices,
      logger: this.#options.logger,
    });
    await this.#directory.start();
    this.#deviceWriter = new DeviceWriter(this.#options.kafka, { topic: this.topics.devices });
    const deviceNames = new KafkaDeviceNames(this.#directory, this.#deviceWriter);
    // Every instance filters its own devices for a filtered listing (GET /devices?ssid=…).
    router.defineFilter(
      DEVICE_FILTER,
      deviceFilter((mac) => deviceNames.get(mac)?.name ?? null),
    );
    this.#pushSources = createKafkaPushSources({
      kafka: this.#options.kafka,
      groupIdPrefix: `${this.streams.config.applicationId}-${self.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      topics: this.topics,
      logger: this.#options.logger.child('api'),
    });
    this.#api = await createApiServer({
      router,
      isReady,
      alertList: this.#alertList,
      deviceNames,
      pushSources: this.#pushSources,
      apiToken: options.apiToken,
      instanceName: self,
      logger: this.#options.logger.child('api'),
      metricsRegistries: [this.streams.metrics.registry, this.extraMetrics],
      engine: this.streams,
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      registerRoutes: async (app) => {
        registerInternalRoutes(app, router, isReady);
        registerInternalWindowRoutes(app, windows, isReady);
        registerWindowedViewRoutes(app, windows);
        this.#sql = await registerProbeSqlRoutes(app, {
          kafka: this.#options.kafka,
          router,
          scatter: { streams: this.streams, self, isReady },
          topology: this.#topology,
          topics: this.topics,
          applicationId: this.streams.config.applicationId,
          alertList: this.#alertList as KafkaAlertListWriter,
          apiToken: options.apiToken,
          isReady,
          timeZone: this.#options.timeZone,
        });
      },
    });
    const host = options.host ?? '0.0.0.0';
    await this.#api.listen({ port: options.port, host });
    this.#options.logger.info(
      `API listening on ${host}:${options.port} (other instances reach it at ${self})`,
    );
  }

  /**
   * Stops the API, the CDC, then the topology (committing what was processed). Idempotent, and may be called
   * while start() is under way: start() then stops at its next step.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#closeParts();
      await this.streams.close();
    })();
    return this.#closed;
  }

  /** Closes the parts started so far, each once. */
  async #closeParts(): Promise<void> {
    const [api, pushSources, alertList, cdc] = [this.#api, this.#pushSources, this.#alertList, this.#cdc];
    const [directory, deviceWriter] = [this.#directory, this.#deviceWriter];
    this.#api = this.#pushSources = this.#alertList = this.#cdc = undefined;
    this.#directory = this.#deviceWriter = undefined;
    await api?.close();
    await pushSources?.close();
    await alertList?.close();
    await deviceWriter?.close();
    await directory?.close();
    await cdc?.close();
  }
}
