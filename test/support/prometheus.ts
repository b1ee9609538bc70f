import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/local/ports.js';
import { eventually } from './streams.js';

/** Debian's prometheus, which scripts/test-tools.sh installs (`apt-get install prometheus`). */
export const PROMETHEUS = process.env.PROBESTREAM_PROMETHEUS ?? '/usr/bin/prometheus';

/** One series of an instant query's answer. */
export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/**
 * A real Prometheus server run as a plain process (not a service), with its own config and storage in a
 * temporary folder, scraping `targets` (host:port) every second.
 */
export class TestPrometheus {
  readonly url: string;
  readonly #process: ChildProcess;
  readonly #dir: string;
  #output = '';

  private constructor(url: string, child: ChildProcess, dir: string) {
    this.url = url;
    this.#process = child;
    this.#dir = dir;
    child.stdout?.on('data', (chunk: Buffer) => this.#keep(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.#keep(chunk));
  }

  #keep(chunk: Buffer): void {
    this.#output = (this.#output + chunk.toString()).slice(-20_000);
  }

  static async start(targets: readonly string[]): Promise<TestPrometheus> {
    if (!existsSync(PROMETHEUS)) {
      throw new Error(
        `no Prometheus at ${PROMETHEUS}: run scripts/test-tools.sh (Debian: apt-get install prometheus)`,
      );
    }
    const dir = await mkdtemp(join(tmpdir(), 'probestream-prometheus-'));
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: probestream',
      '    static_configs:',
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheus = new TestPrometheus(`http://127.0.0.1:${port}`, child, dir);
    try {
      await eventually(
        () =>
          fetch(`${prometheus.url}/-/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
      );
    } catch (error) {
      await prometheus.close();
      throw new Error(`Prometheus did not get ready: ${(error as Error).message}\n${prometheus.#output}`);
    }
    return prometheus;
  }

  /** An instant query through the HTTP API (/api/v1/query). */
  async query(expr: string): Promise<PromSeries[]> {
    const response = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: PromSeries[] };
    };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
    return body.data?.result ?? [];
  }

  /** The scrape targets' health, as Prometheus reports it. */
  async targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]> {
    const response = await fetch(`${this.url}/api/v1/targets`);
    const body = (await response.json()) as {
      data: { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
    };
    return body.data.activeTargets;
  }

  async close(): Promise<void> {
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      const exited = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill('SIGTERM');
      await exited;
    }
    await rm(this.#dir, { recursive: true, force: true });
  }
}
