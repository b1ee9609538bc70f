import { execFile } from 'node:child_process';
import { cp, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildOnce, checkJava, javaCommand, shortHash } from '../../src/local/java.js';
import { cacheDir } from '../../src/local/paths.js';
import { ChildApp } from './processes.js';

/**
 * The Kafka Streams application of this folder (pom.xml, src/main/java): built with Maven, once per
 * version of its sources, into probestream's cache folder (as the local broker's jars are), and run there.
 */

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const JAR = 'kafka-streams-probes-1.jar';
const MAIN_CLASS = 'probestream.bench.ProbeTopologyApp';

async function sourceFiles(): Promise<string[]> {
  const entries = await readdir(join(HERE, 'src'), { recursive: true, withFileTypes: true });
  const java = entries.filter((e) => e.isFile() && e.name.endsWith('.java'));
  return [join(HERE, 'pom.xml'), ...java.map((e) => join(e.parentPath, e.name))].sort();
}

/**
 * Builds the application (`mvn package`; Maven fetches Kafka Streams and its libraries from Maven Central
 * the first time) unless this version of it is built already. Answers its classpath.
 */
export async function prepareKafkaStreamsApp(): Promise<string[]> {
  await checkJava();
  const files = await sourceFiles();
  const stamp = await Promise.all(
    files.map(async (file) => `${relative(HERE, file)}\n${await readFile(file, 'utf8')}`),
  );
  const target = join(cacheDir(), `kafka-streams-bench-${shortHash(...stamp)}`);
  await buildOnce(target, async (staging) => {
    await cp(join(HERE, 'pom.xml'), join(staging, 'pom.xml'));
    await cp(join(HERE, 'src'), join(staging, 'src'), { recursive: true });
    try {
      await run('mvn', ['-B', '-q', '-DskipTests', '-f', join(staging, 'pom.xml'), 'package'], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (cause) {
      const { stdout = '', stderr = '' } = cause as { stdout?: string; stderr?: string };
      throw new Error(`mvn could not build the Kafka Streams bench application:\n${stdout}${stderr}`, {
        cause,
      });
    }
  });
  const lib = join(target, 'target', 'lib');
  const jars = (await readdir(lib)).filter((file) => file.endsWith('.jar')).sort();
  return [join(target, 'target', JAR), ...jars.map((jar) => join(lib, jar))];
}

export interface KafkaStreamsAppOptions {
  readonly classpath: readonly string[];
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly stateDir: string;
  readonly topics: { pcap: string; devices: string; ssidAlertList: string; alerts: string };
  readonly logFile: string;
}

/** A stats store's value as the Java side prints it: times in epoch ms. */
export interface StatsLine {
  readonly probeCount: number;
  readonly firstProbe: number;
  readonly lastProbe: number;
  readonly ssidsProbed: readonly (string | null)[];
}

/** The Java application as a child process: its state on stdout, store lookups over stdin. */
export class KafkaStreamsApp extends ChildApp {
  /** Resolves with the time (performance.now()) the application first reached RUNNING. */
  readonly runningAt: Promise<number>;

  constructor(options: KafkaStreamsAppOptions) {
    const { topics } = options;
    super(
      'kafka-streams',
      javaCommand(),
      [
        ...['-Xms512m', '-Xmx2g', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'],
        ...['-cp', options.classpath.join(':'), MAIN_CLASS],
        ...['--brokers', options.brokers.join(','), '--application-id', options.applicationId],
        ...['--state-dir', options.stateDir, '--pcap', topics.pcap, '--devices', topics.devices],
        ...['--ssid-alert-list', topics.ssidAlertList, '--alerts', topics.alerts],
      ],
      { logFile: options.logFile },
    );
    this.runningAt = this.whenLine((line) => line.startsWith('{"state":"RUNNING"'));
  }

  /** A key's value in a stats store, read through Kafka Streams' interactive queries. */
  get(store: string, key: string): Promise<StatsLine | null> {
    return new Promise((resolve, reject) => {
      const off = this.onLine((line) => {
        if (!line.startsWith('{')) return; // Kafka's warnings, on stderr
        const reply = JSON.parse(line) as {
          store?: string;
          key?: string;
          stats?: StatsLine | null;
          error?: string;
        };
        if (reply.error !== undefined) {
          off();
          reject(new Error(`kafka-streams: ${reply.error}`));
        } else if (reply.store === store && reply.key === key) {
          off();
          resolve(reply.stats ?? null);
        }
      });
      this.child.stdin?.write(`get ${store} ${key}\n`);
    });
  }

  /** Closes the application through its own close (committing), then waits for the JVM to exit. */
  async close(): Promise<void> {
    this.child.stdin?.end('close\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(timer);
    await this.stop();
  }
}
