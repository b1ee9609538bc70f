import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJava, compileJava, resolveMavenClasspath } from './java.js';
import { JavaProcess } from './java-process.js';
import { javaSourcesDir } from './paths.js';

const MONGO_JAVA_SERVER_VERSION = '1.47.0';
const SLF4J_VERSION = '2.0.17';

export interface LocalMongoOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** Default 60 s. */
  readonly startTimeoutMs?: number;
}

export interface LocalMongo {
  /** `mongodb://127.0.0.1:<port>/`, for `MONGODB_URL`. */
  readonly url: string;
  readonly logFile: string;
  readonly process: JavaProcess;
  stop(): Promise<void>;
}

/** Resolves the server's jars (cached after the first run) and compiles its main class and the launcher. */
export async function prepareLocalMongo(): Promise<string[]> {
  await checkJava();
  const jars = await resolveMavenClasspath(`mongo-java-server-${MONGO_JAVA_SERVER_VERSION}`, [
    `de.bwaldvogel:mongo-java-server:${MONGO_JAVA_SERVER_VERSION}`,
    `org.slf4j:slf4j-api:${SLF4J_VERSION}`,
    `org.slf4j:slf4j-simple:${SLF4J_VERSION}`,
  ]);
  const sources = ['ParentWatchLauncher.java', 'MongoWireServer.java'].map((file) =>
    join(javaSourcesDir(), file),
  );
  const classes = await compileJava(sources, jars);
  return [classes, ...jars];
}

/**
 * Starts de.bwaldvogel's mongo-java-server (in-memory, oplog on, so change streams work) on 127.0.0.1.
 * It speaks the MongoDB wire protocol at wire version 8: use a driver that still accepts 8, without
 * `serverApi`. Its data lives only as long as the process.
 */
export async function startLocalMongo(options: LocalMongoOptions = {}): Promise<LocalMongo> {
  const classpath = await prepareLocalMongo();
  const logDir = await mkdtemp(join(tmpdir(), 'probestream-mongo-'));
  const logFile = join(logDir, 'server.log');
  const server = new JavaProcess({
    name: 'mongo-java-server',
    classpath,
    mainClass: 'MongoWireServer',
    args: ['127.0.0.1', String(options.port ?? 0)],
    jvmOptions: ['-Xmx512m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'],
    logFile,
  });
  let address: string;
  try {
    [, address = ''] = await server.waitForLine(/^LISTENING (\S+)$/, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.stop().then(() => rm(logDir, { recursive: true, force: true }));
    return stopped;
  };
  return { url: `mongodb://${address}/`, logFile, process: server, stop };
}
