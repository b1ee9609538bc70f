import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalServiceError } from './errors.js';
import { cacheDir } from './paths.js';

const run = promisify(execFile);

/** A Maven coordinate: `group:artifact:version`. */
export type MavenCoordinate = `${string}:${string}:${string}`;

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MINIMUM_JAVA = 17;

/** The `java` to run: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else the one on PATH. */
export function javaCommand(tool: 'java' | 'javac' = 'java', env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', tool) : tool;
}

/** Fails with LOCAL_JAVA_NOT_FOUND unless a Java 17 or newer answers. Returns its feature version. */
export async function checkJava(): Promise<number> {
  let output: string;
  try {
    const { stderr, stdout } = await run(javaCommand(), ['-version']);
    output = `${stderr}${stdout}`;
  } catch (cause) {
    throw new LocalServiceError(
      'LOCAL_JAVA_NOT_FOUND',
      `No Java found (tried ${javaCommand()}): install a JDK ${MINIMUM_JAVA} or newer, or set JAVA_HOME`,
      { cause },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= MINIMUM_JAVA)) {
    throw new LocalServiceError(
      'LOCAL_JAVA_NOT_FOUND',
      `Java ${MINIMUM_JAVA} or newer is needed, found: ${output.split('\n')[0]}`,
    );
  }
  return major;
}

/** 12 hex digits of the SHA-256 of `parts`: the cache folders' version stamp. */
export function shortHash(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

function pomFor(name: string, coordinates: readonly MavenCoordinate[]): string {
  const dependencies = coordinates.map((coordinate) => {
    const [groupId, artifactId, version] = coordinate.split(':');
    return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  });
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    `  <groupId>probestream.local</groupId><artifactId>${name}</artifactId><version>1</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    ...dependencies,
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Fills `target` once: `fill` writes into a staging folder that is renamed to `target` when complete, so an
 * interrupted run is never mistaken for a finished one, and a later run with the same target does nothing.
 */
export async function buildOnce(target: string, fill: (staging: string) => Promise<void>): Promise<void> {
  if (existsSync(join(target, '.complete'))) return;
  const staging = `${target}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await fill(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await writeFile(join(staging, '.complete'), `${new Date().toISOString()}\n`);
  try {
    await rename(staging, target);
  } catch {
    // Another process finished the same work first; its copy is as good as ours.
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Resolves the coordinates and their runtime dependencies from Maven Central with `mvn`, once, into
 * `<cache>/<name>-<hash>/lib`, and returns the jar paths.
 */
export async function resolveMavenClasspath(
  name: string,
  coordinates: readonly MavenCoordinate[],
): Promise<string[]> {
  const pom = pomFor(name, coordinates);
  const target = join(cacheDir(), `${name}-${shortHash(pom)}`);
  await buildOnce(target, async (staging) => {
    await writeFile(join(staging, 'pom.xml'), pom);
    const args = ['-B', '-q', '-f', join(staging, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`];
    args.push('-DincludeScope=runtime', `-DoutputDirectory=${join(staging, 'lib')}`);
    try {
      await run('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
    } catch (cause) {
      const { stdout = '', stderr = '' } = cause as { stdout?: string; stderr?: string };
      throw new LocalServiceError(
        'LOCAL_MAVEN_FAILED',
        `mvn could not resolve ${coordinates.join(', ')}:\n${tail(stdout + stderr) || String(cause)}`,
        { cause },
      );
    }
  });
  const libDir = join(target, 'lib');
  const jars = (await readdir(libDir)).filter((file) => file.endsWith('.jar')).sort();
  return jars.map((jar) => join(libDir, jar));
}

/**
 * Compiles Java sources against a classpath, once per distinct input, into `<cache>/classes-<hash>`, and
 * returns that folder for the classpath.
 */
export async function compileJava(sources: readonly string[], classpath: readonly string[]): Promise<string> {
  const contents = await Promise.all(sources.map((source) => readFile(source, 'utf8')));
  const target = join(cacheDir(), `classes-${shortHash(...contents, ...classpath)}`);
  await buildOnce(target, async (staging) => {
    try {
      await run(javaCommand('javac'), ['-d', staging, '-cp', classpath.join(':'), ...sources]);
    } catch (cause) {
      const { stderr = String(cause) } = cause as { stderr?: string };
      throw new LocalServiceError(
        'LOCAL_COMPILE_FAILED',
        `javac failed on ${sources.join(', ')}:\n${tail(stderr)}`,
        {
          cause,
        },
      );
    }
  });
  return target;
}
