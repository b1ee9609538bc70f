import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { LocalServiceError } from './errors.js';
import { checkJava, compileJava, javaCommand, resolveMavenClasspath } from './java.js';
import { JavaProcess } from './java-process.js';
import { javaSourcesDir } from './paths.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The Apache Kafka release run locally; `PROBESTREAM_KAFKA_VERSION` picks another 4.x. */
export const DEFAULT_KAFKA_VERSION = '4.1.1';
const LOG4J_VERSION = '2.25.2';
const SLF4J_VERSION = '2.0.17';

export interface LocalKafkaOptions {
  /** Keeps the broker's data here across runs; default: a temporary folder removed by `stop()`. */
  readonly dataDir?: string;
  /** Client port; default: a free one. */
  readonly port?: number;
  readonly version?: string;
  /** How long to wait for the broker to answer a metadata request. Default 90 s (the first start is slow). */
  readonly startTimeoutMs?: number;
  /** Extra broker settings, written after the defaults. */
  readonly brokerConfig?: Readonly<Record<string, string | number | boolean>>;
}

export interface LocalKafka {
  /** `127.0.0.1:<port>`, for `KAFKA_BROKERS`. */
  readonly brokers: string;
  readonly version: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** The broker's JVM: a new one after each `restart()`. */
  readonly process: JavaProcess;
  /**
   * Stops the broker (cleanly, or with SIGKILL when `kill`, as a crash would) and starts it again on the same
   * data folder, ports and settings, `downForMs` later (default at once); resolves once it answers again.
   * Clients keep their address.
   */
  restart(options?: { readonly kill?: boolean; readonly downForMs?: number }): Promise<void>;
  /** Stops the broker cleanly (SIGKILL after a grace period) and removes a temporary data folder. */
  stop(): Promise<void>;
}

/** Resolves the broker's jars (cached after the first run) and compiles the launcher. */
export async function prepareLocalKafka(version = defaultKafkaVersion()): Promise<string[]> {
  await checkJava();
  const jars = await resolveMavenClasspath(`kafka-${version}`, [
    `org.apache.kafka:kafka_2.13:${version}`,
    `org.slf4j:slf4j-api:${SLF4J_VERSION}`,
    `org.apache.logging.log4j:log4j-slf4j2-impl:${LOG4J_VERSION}`,
    `org.apache.logging.log4j:log4j-core:${LOG4J_VERSION}`,
  ]);
  const classes = await compileJava([join(javaSourcesDir(), 'ParentWatchLauncher.java')], []);
  return [classes, ...jars];
}

function defaultKafkaVersion(): string {
  return process.env.PROBESTREAM_KAFKA_VERSION || DEFAULT_KAFKA_VERSION;
}

/**
 * A Kafka cluster id: 16 random bytes, URL-safe base64 without padding. Like Kafka's own Uuid, never one
 * that starts with '-', which the storage tool's argument parser would take for an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function brokerProperties(
  dataDir: string,
  port: number,
  controllerPort: number,
  extra: LocalKafkaOptions['brokerConfig'],
) {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dataDir, 'logs'),
    // probestream creates every topic it uses; a typo must fail, not create a topic.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    // One broker: internal topics cannot be replicated, and fewer partitions start faster.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests join and leave groups constantly; waiting for more members only slows them.
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.cleaner.backoff.ms': 1000,
    // Apply time retention every 10 s rather than every 5 min, so that a topic that would lose records
    // with old timestamps (a replayed 2020 capture) loses them within a test run, where it shows.
    'log.retention.check.interval.ms': 10_000,
    ...extra,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

const LOG4J2_PROPERTIES = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = warn
`;

/** Waits until the broker answers metadata and group requests, or fails with its log when it exits or times out. */
async function waitForBroker(brokers: string, broker: JavaProcess, timeoutMs: number): Promise<void> {
  const kafka = new Kafka({
    clientId: 'probestream-local-readiness',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (broker.exited) throw await broker.failure('exited before it answered', lastError);
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // Looking up a group's coordinator makes the broker create __consumer_offsets; waiting for the answer
      // spares the first test's consumer a "coordinator is loading" crash and restart.
      await admin.describeGroups(['probestream-readiness']);
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw await broker.failure(`did not answer a metadata request within ${timeoutMs} ms`, lastError);
}

/** Formats a new data folder for KRaft; a kept one is already formatted, with its own cluster id. */
async function formatStorage(
  dataDir: string,
  configFile: string,
  classpath: readonly string[],
  jvmOptions: readonly string[],
): Promise<void> {
  if (existsSync(join(dataDir, 'logs', 'meta.properties'))) return;
  const format = [
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    newClusterId(),
    '--config',
    configFile,
  ];
  try {
    await run(javaCommand(), [...jvmOptions, '-cp', classpath.join(':'), ...format], {
      maxBuffer: 4 << 20,
    });
  } catch (cause) {
    const { stdout = '', stderr = '' } = cause as { stdout?: string; stderr?: string };
    throw new LocalServiceError(
      'LOCAL_SERVICE_START_FAILED',
      `kafka storage format failed:\n${stdout}${stderr}`,
      {
        cause,
      },
    );
  }
}

/**
 * Starts a single-node Apache Kafka 4.x broker (KRaft, combined broker and controller) on 127.0.0.1, from
 * the jars on Maven Central, with the machine's Java. Resolves once it answers a metadata request.
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const version = options.version ?? defaultKafkaVersion();
  const classpath = await prepareLocalKafka(version);
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'probestream-kafka-')));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const configFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j2.properties');
  const logFile = join(dataDir, 'server.log');
  await writeFile(configFile, brokerProperties(dataDir, port, controllerPort, options.brokerConfig));
  await writeFile(log4jFile, LOG4J2_PROPERTIES);
  const jvmOptions = [
    '-Xms256m',
    '-Xmx1g',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    // Log4j's own shutdown hook would stop logging before the broker's hook has logged its shutdown.
    '-Dlog4j2.shutdownHookEnabled=false',
  ];

  await formatStorage(dataDir, configFile, classpath, jvmOptions);

  const brokers = `127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const launch = async () => {
    const started = new JavaProcess({
      name: `kafka ${version}`,
      classpath,
      mainClass: 'kafka.Kafka',
      args: [configFile],
      jvmOptions,
      logFile,
    });
    try {
      await waitForBroker(brokers, started, timeoutMs);
    } catch (error) {
      // The data folder stays, so the log the error names can still be read.
      await started.stop();
      throw error;
    }
    return started;
  };
  let broker = await launch();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await broker.stop();
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const restart = async ({ kill = false, downForMs = 0 } = {}) => {
    if (stopped) throw new LocalServiceError('LOCAL_SERVICE_START_FAILED', `${brokers} was stopped for good`);
    if (kill) await broker.kill();
    // stop() after kill() only closes the old process's log, which the new process appends to.
    await broker.stop();
    if (downForMs > 0) await sleep(downForMs);
    broker = await launch();
  };
  return {
    brokers,
    version,
    dataDir,
    logFile,
    get process() {
      return broker;
    },
    restart,
    stop,
  };
}
