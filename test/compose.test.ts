/**
 * docker-compose.yml, checked the only way this machine can: `docker compose config` (the Docker client
 * and its Compose plugin, no engine) validates and resolves the file, and the resolved model is compared
 * with what probestream reads. No container is started. Without `docker compose` these tests fail: install
 * the Compose plugin (.ci/run builds it with Go when it is missing).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cliNodeOptions } from '../bench/cli-node-options.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { loadSettings, SETTINGS, type SettingSpec } from '../src/cli/settings.js';
import { DEFAULT_KAFKA_VERSION } from '../src/local/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const composeFile = join(root, 'docker-compose.yml');
const run = promisify(execFile);

interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string };
  readonly command?: readonly string[] | null;
  readonly profiles?: readonly string[];
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly ports?: readonly {
    readonly target: number;
    readonly published?: string;
    readonly host_ip?: string;
  }[];
  readonly volumes?: readonly { readonly type: string; readonly source?: string; readonly target: string }[];
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly healthcheck?: { readonly test?: readonly string[] };
}

interface ComposeModel {
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, unknown>>;
}

/** The caller's environment without COMPOSE_* (COMPOSE_PROFILES, COMPOSE_FILE… would change the model). */
function composeEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('COMPOSE_')));
}

async function compose(args: readonly string[], files: readonly string[] = [composeFile]) {
  return run('docker', ['compose', ...files.flatMap((file) => ['-f', file]), ...args], {
    cwd: root,
    env: composeEnv(),
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function model(options: { profiles?: readonly string[]; files?: readonly string[] } = {}) {
  const profiles = (options.profiles ?? []).flatMap((profile) => ['--profile', profile]);
  const { stdout } = await compose([...profiles, 'config', '--format', 'json'], options.files);
  return JSON.parse(stdout) as ComposeModel;
}

function service(config: ComposeModel, name: string): ComposeService {
  const found = config.services[name];
  if (!found) throw new Error(`no service ${name} in ${Object.keys(config.services).join(', ')}`);
  return found;
}

function environment(svc: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(svc.environment ?? {}).map(([name, value]) => [name, value ?? '']),
  );
}

/** The named volume mounted at `target`. */
function volumeAt(svc: ComposeService, target: string | undefined) {
  return svc.volumes?.find((volume) => volume.target === target && volume.type === 'volume')?.source;
}

const documentedEnv = new Set(
  Object.values(SETTINGS as Record<string, SettingSpec>).flatMap((spec) => (spec.env ? [spec.env] : [])),
);

/**
 * Every environment variable of a probestream service is a documented setting that the command it runs
 * reads, and the command accepts every value (as `probestream <command>` would at start).
 */
function expectSettingsOf(name: string, svc: ComposeService): void {
  const commandName = svc.command?.[0];
  const command = COMMANDS.find((candidate) => candidate.name === commandName);
  if (!command) throw new Error(`${name} runs ${JSON.stringify(svc.command)}, not a probestream command`);
  const specs = command.settings.map((setting) => SETTINGS[setting] as SettingSpec);
  const read = new Set(specs.flatMap((spec) => (spec.env ? [spec.env] : [])));
  const env = environment(svc);
  for (const variable of Object.keys(env)) {
    expect(documentedEnv.has(variable), `${name}: ${variable} is not in the settings table`).toBe(true);
    expect(read.has(variable), `${name}: \`probestream ${command.name}\` does not read ${variable}`).toBe(
      true,
    );
  }
  expect(() => loadSettings(command.settings, {}, env), name).not.toThrow();
}

/** The README's scale-out override: the yaml block of its "Docker Compose" section. */
function readmeOverride(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Docker Compose\n'));
  if (!section) throw new Error('README.md has no "## Docker Compose" section');
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('the "Docker Compose" section has no yaml block (the scale-out override)');
  return block[1];
}

let available: Promise<void> | undefined;

/** Fails (never skips) when `docker compose` cannot run, saying how to get it. */
function requireCompose(): Promise<void> {
  available ??= compose(['version'], []).then(
    () => undefined,
    (error: NodeJS.ErrnoException & { stderr?: string }) => {
      const reason =
        error.code === 'ENOENT'
          ? 'there is no `docker` command on PATH'
          : `\`docker compose version\` failed: ${(error.stderr || error.message).trim().split('\n')[0]}`;
      throw new Error(
        `${reason}. These tests need the Docker client with its Compose plugin (no engine): install the ` +
          'plugin, e.g. with .ci/run, which builds it with Go when it is missing.',
      );
    },
  );
  return available;
}

describe('docker-compose.yml', () => {
  let scratch: string | undefined;

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('passes `docker compose config`, without warnings, alone and with each profile', async () => {
    await requireCompose();
    const plain = await compose(['config', '--quiet']);
    expect(plain.stderr).toBe('');
    for (const profile of ['bot', 'monitoring']) {
      const withProfile = await compose(['--profile', profile, 'config', '--quiet']);
      expect(withProfile.stderr, profile).toBe('');
    }
  });

  it('runs kafka, mongo and probestream, and the bot only with the bot profile', async () => {
    await requireCompose();
    expect(Object.keys((await model()).services).sort()).toEqual(['kafka', 'mongo', 'probestream']);
    const config = await model({ profiles: ['bot'] });
    expect(Object.keys(config.services).sort()).toEqual(['bot', 'kafka', 'mongo', 'probestream']);
    expect(service(config, 'bot').profiles).toEqual(['bot']);
  });

  it('runs Kafka in KRaft mode, reached as kafka:9092, and MongoDB as a replica set', async () => {
    await requireCompose();
    const config = await model();
    const kafka = service(config, 'kafka');
    expect(kafka.image).toBe(`apache/kafka:${DEFAULT_KAFKA_VERSION}`);
    const kafkaEnv = environment(kafka);
    expect(kafkaEnv.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafkaEnv.KAFKA_ADVERTISED_LISTENERS?.split(',')).toContain('PLAINTEXT://kafka:9092');
    expect(kafka.healthcheck?.test).toBeDefined();

    const mongo = service(config, 'mongo');
    expect(mongo.image).toBe('mongo:7.0');
    const replSet = mongo.command?.[(mongo.command?.indexOf('--replSet') ?? -2) + 1];
    expect(replSet).toBe('rs0');
    expect(mongo.healthcheck?.test?.join(' ')).toContain('rs.initiate(');

    const mongodbUrl = new URL(environment(service(config, 'probestream')).MONGODB_URL ?? '');
    expect(mongodbUrl.host).toBe('mongo:27017');
    const params = mongodbUrl.searchParams;
    expect(
      params.get('replicaSet') === replSet || params.get('directConnection') === 'true',
      mongodbUrl.href,
    ).toBe(true);
  });

  it('starts probestream once Kafka and MongoDB are healthy, with its API, state volume and readiness', async () => {
    await requireCompose();
    const config = await model();
    const probestream = service(config, 'probestream');
    expect(probestream.build?.context).toBe(root.replace(/\/$/, ''));
    expect(probestream.command).toEqual(['start']);
    const env = environment(probestream);
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    expect(env.MONGODB_URL).toBeTruthy();
    expect(env.APPLICATION_SERVER).toBe(`probestream:${env.API_PORT}`);
    expect(env.API_TOKEN).toBeDefined();
    expect(env.TELEGRAM_BOT_TOKEN, 'the bot runs as its own service').toBeUndefined();
    expect(probestream.ports?.map((port) => [port.target, port.published])).toContainEqual([
      Number(env.API_PORT),
      env.API_PORT,
    ]);
    const stateVolume = volumeAt(probestream, env.STATE_DIR);
    expect(stateVolume, 'STATE_DIR is a named volume').toBeTruthy();
    expect(Object.keys(config.volumes ?? {})).toContain(stateVolume);
    expect(probestream.depends_on?.kafka?.condition).toBe('service_healthy');
    expect(probestream.depends_on?.mongo?.condition).toBe('service_healthy');
    expect(probestream.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${env.API_PORT}/readyz`);
  });

  it('runs the bot against the probestream API, once probestream is ready', async () => {
    await requireCompose();
    const config = await model({ profiles: ['bot'] });
    const bot = service(config, 'bot');
    const probestreamEnv = environment(service(config, 'probestream'));
    const env = environment(bot);
    expect(bot.command).toEqual(['bot']);
    expect(bot.image).toBe(service(config, 'probestream').image);
    expect(env.PROBESTREAM_API_URL).toBe(`http://probestream:${probestreamEnv.API_PORT}`);
    expect(env.KAFKA_BROKERS).toBe(probestreamEnv.KAFKA_BROKERS);
    expect(env.APPLICATION_ID).toBe(probestreamEnv.APPLICATION_ID);
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['TELEGRAM_BOT_TOKEN', 'TELEGRAM_ALLOWED_CHAT_IDS', 'TELEGRAM_ALERT_CHAT_IDS']),
    );
    expect(bot.depends_on?.probestream?.condition).toBe('service_healthy');
  });

  it("scrapes the bot's own /metrics when the bot and monitoring profiles run together", async () => {
    await requireCompose();
    const config = await model({ profiles: ['bot', 'monitoring'] });
    const bot = service(config, 'bot') as ComposeService & {
      networks?: Record<string, { aliases?: string[] }>;
    };
    const scrape = readFileSync(join(root, 'dashboards/prometheus/prometheus.yml'), 'utf8');
    const job = scrape.split('- job_name: ').find((part) => part.startsWith('probestream-bot\n')) ?? '';
    const alias = /names: \[([\w-]+)\]/.exec(job)?.[1];
    expect(alias).toBeDefined();
    expect(bot.networks?.default?.aliases).toContain(alias);
    expect(/port: (\d+)/.exec(job)?.[1]).toBe(String(environment(bot).BOT_METRICS_PORT));
  });

  it('runs Prometheus and Grafana only with the monitoring profile, provisioned with the dashboard', async () => {
    await requireCompose();
    const config = await model({ profiles: ['monitoring'] });
    expect(Object.keys(config.services).sort()).toEqual([
      'grafana',
      'kafka',
      'mongo',
      'probestream',
      'prometheus',
    ]);
    const prometheus = service(config, 'prometheus');
    const grafana = service(config, 'grafana');
    expect(prometheus.profiles).toEqual(['monitoring']);
    expect(grafana.profiles).toEqual(['monitoring']);
    const bound = (svc: ComposeService) =>
      Object.fromEntries(
        (svc.volumes ?? []).filter((v) => v.type === 'bind').map((v) => [v.target, v.source ?? '']),
      );
    const promConfig = bound(prometheus)['/etc/prometheus/prometheus.yml'] ?? '';
    expect(promConfig).toBe(join(root, 'dashboards/prometheus/prometheus.yml'));
    // The scrape finds instances by the alias every probestream instance carries.
    const scrape = readFileSync(promConfig, 'utf8');
    const alias = /names: \[([\w-]+)\]/.exec(scrape)?.[1];
    const networks = (service(config, 'probestream') as { networks?: Record<string, { aliases?: string[] }> })
      .networks;
    expect(networks?.default?.aliases).toContain(alias);
    const { stdout } = await run('promtool', ['check', 'config', promConfig]).catch((error) => error);
    expect(stdout).toContain('SUCCESS');
    // Grafana: the datasource's uid is the one the dashboard's panels name.
    const grafanaFiles = bound(grafana);
    const dashboard = readFileSync(
      grafanaFiles['/var/lib/grafana/dashboards/probestream.json'] ?? '',
      'utf8',
    );
    const provisioning = grafanaFiles['/etc/grafana/provisioning'] ?? '';
    const datasource = readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8');
    const uid = /uid: ([\w-]+)/.exec(datasource)?.[1];
    expect(JSON.parse(dashboard).panels[1].datasource.uid).toBe(uid);
    expect(datasource).toContain('url: http://prometheus:9090');
    expect(readFileSync(join(provisioning, 'dashboards/probestream.yml'), 'utf8')).toContain(
      'path: /var/lib/grafana/dashboards',
    );
  });

  it("sets only settings that the service's command reads, with values it accepts", async () => {
    await requireCompose();
    const config = await model({ profiles: ['bot'] });
    expectSettingsOf('probestream', service(config, 'probestream'));
    expectSettingsOf('bot', service(config, 'bot'));
  });

  it("accepts the README's second instance, with its own address and state, and no second CDC", async () => {
    await requireCompose();
    scratch = await mkdtemp(join(tmpdir(), 'probestream-compose-'));
    const override = join(scratch, 'docker-compose.override.yml');
    await writeFile(override, readmeOverride());
    const { stderr } = await compose(['config', '--quiet'], [composeFile, override]);
    expect(stderr).toBe('');
    const config = await model({ files: [composeFile, override] });
    const first = service(config, 'probestream');
    const second = service(config, 'probestream-2');
    const firstEnv = environment(first);
    const secondEnv = environment(second);
    expect(second.command).toEqual(['start']);
    expect(second.image).toBe(first.image);
    expect(secondEnv.APPLICATION_ID).toBe(firstEnv.APPLICATION_ID);
    expect(secondEnv.KAFKA_BROKERS).toBe(firstEnv.KAFKA_BROKERS);
    expect(secondEnv.APPLICATION_SERVER).toBe(`probestream-2:${secondEnv.API_PORT}`);
    expect(secondEnv.MONGODB_URL, 'one CDC per application id').toBeUndefined();
    const secondVolume = volumeAt(second, secondEnv.STATE_DIR);
    expect(secondVolume).toBeTruthy();
    expect(secondVolume).not.toBe(volumeAt(first, firstEnv.STATE_DIR));
    const published = (svc: ComposeService) => svc.ports?.map((port) => port.published) ?? [];
    expect(published(second)).not.toEqual(expect.arrayContaining(published(first)));
    expectSettingsOf('probestream-2', second);
    // Prometheus finds it as it finds the first.
    const aliases = (svc: ComposeService) =>
      (svc as { networks?: Record<string, { aliases?: string[] } | null> }).networks?.default?.aliases;
    expect(aliases(second)).toEqual(aliases(first));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

  it("runs the package's bin, `start` by default, as a non-root user", () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    // With the Node options the bin's shebang names, so that the image runs it as `probestream` does.
    const options = cliNodeOptions(join(root, 'src/cli/main.ts'));
    expect(options.length).toBeGreaterThan(0);
    const entrypoint = ['node', ...options, pkg.bin.probestream].map((part) => `"${part}"`).join(', ');
    expect(dockerfile).toContain(`ENTRYPOINT [${entrypoint}]`);
    expect(dockerfile).toContain('CMD ["start"]');
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('copies from the build context only what exists and .dockerignore lets through', () => {
    const ignored = new Set(
      readFileSync(join(root, '.dockerignore'), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
    const sources = dockerfile
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(ignored.has(source), `${source} is in .dockerignore`).toBe(false);
    }
  });
});
