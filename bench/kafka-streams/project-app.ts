import { fileURLToPath } from 'node:url';
import type { ProbeStats } from '../../src/probes/schemas.js';
import { cliNodeOptions } from '../cli-node-options.js';
import { ChildApp } from './processes.js';

/**
 * `probestream start` as a user runs it (the built CLI: run `npm run build` first), on the default topic
 * names, with its API on `port`. BENCH_CPU_PROF=<folder> runs it under `node --cpu-prof`, which writes one
 * profile per thread (the main thread and the topology's worker) into that folder when it exits.
 */

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface ProjectAppOptions {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly stateDir: string;
  readonly port: number;
  readonly partitions: number;
  readonly logFile: string;
  /** When set, `node --cpu-prof` writes its profiles here. */
  readonly cpuProfileDir?: string | undefined;
  /** Another build's `dist/cli/main.js` (BENCH_PEER_CLI); default this checkout's. */
  readonly cli?: string;
  readonly name?: string;
}

export class ProjectApp extends ChildApp {
  /** Resolves with the time (performance.now()) the application first reached RUNNING. */
  readonly runningAt: Promise<number>;
  readonly #port: number;

  constructor(options: ProjectAppOptions) {
    const profile = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    super(
      options.name ?? 'probestream',
      process.execPath,
      [
        ...profile,
        ...cliNodeOptions(options.cli ?? CLI),
        ...[
          options.cli ?? CLI,
          'start',
          '--brokers',
          options.brokers.join(','),
          '--application-id',
          options.applicationId,
        ],
        ...['--state-dir', options.stateDir, '--port', String(options.port)],
        ...['--partitions', String(options.partitions), '--processing-guarantee', 'at_least_once'],
        ...['--commit-interval-ms', '1000'],
        // An alert per probe, as the Kafka Streams peer raises them (start suppresses by 15 minutes by default).
        ...['--alert-window', '0'],
      ],
      { logFile: options.logFile },
    );
    this.#port = options.port;
    this.runningAt = this.whenLine((line) => /state \S+ -> RUNNING/.test(line));
  }

  /** A key's value in a stats store, through the API (`/devices/:mac/stats`, `/devices/by-name/:name/stats`). */
  async get(store: 'pcap-stats' | 'pcap-stats-by-name', key: string): Promise<ProbeStats | null> {
    const path =
      store === 'pcap-stats'
        ? `/devices/${encodeURIComponent(key)}/stats`
        : `/devices/by-name/${encodeURIComponent(key)}/stats`;
    const response = await fetch(`http://127.0.0.1:${this.#port}${path}`);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`probestream: GET ${path} answered ${response.status}`);
    const body = (await response.json()) as {
      probeCount: number;
      firstProbe: string;
      lastProbe: string;
      ssidsProbed: (string | null)[];
    };
    return {
      probeCount: body.probeCount,
      firstProbe: Date.parse(body.firstProbe),
      lastProbe: Date.parse(body.lastProbe),
      ssidsProbed: body.ssidsProbed,
    };
  }
}
