import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/local/ports.js';
import { CliProcess, runCli } from '../../support/cli.js';

/** Processes whose parent is `pid`, from ps: what a command left running would show here. */
function childrenOf(pid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid]) => Number(ppid) === pid)
    .map(([child, , comm]) => `${child} ${comm}`);
}

describe('probestream demo, as a new user runs it', () => {
  it('starts its own broker, answers stats for the bundled devices, and leaves nothing behind on Ctrl-C', async () => {
    const port = await freePort();
    // No KAFKA_BROKERS and no MONGODB_URL: the demo starts its own broker and loads the bundled device list.
    const demo = new CliProcess(['demo', '--port', String(port)], {
      KAFKA_BROKERS: undefined,
      MONGODB_URL: undefined,
      STATE_DIR: undefined,
      TELEGRAM_BOT_TOKEN: undefined,
      API_TOKEN: undefined,
    });
    const started = Date.now();
    let javaChildren: string[] = [];
    try {
      await demo.waitForOutput(/Ctrl-C stops everything/, 90_000);
      const mac = /devices\/([0-9a-f:]{17})\/stats/.exec(demo.stdout)?.[1] as string;
      const name = /query '([^']+)' --api/.exec(demo.stdout)?.[1] as string;
      expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

      let stats: { status: number; body: { mac?: string; probeCount?: number } } = { status: 0, body: {} };
      while (Date.now() - started < 60_000) {
        const response = await fetch(`http://127.0.0.1:${port}/devices/${mac}/stats`);
        stats = { status: response.status, body: (await response.json()) as typeof stats.body };
        if (stats.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(stats.status).toBe(200);
      expect(stats.body.mac).toBe(mac);
      expect(stats.body.probeCount).toBeGreaterThan(0);

      // Stats by name are one repartition further on than stats by MAC: they may take a moment more.
      let query = await runCli(['query', name, '--api', `http://127.0.0.1:${port}`]);
      while (query.code !== 0 && Date.now() - started < 60_000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        query = await runCli(['query', name, '--api', `http://127.0.0.1:${port}`]);
      }
      expect(query.code).toBe(0);
      expect(query.stdout).toMatch(
        new RegExp(
          `^📡 Wi-Fi probe stats for ${name}\\nEarliest probe: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n`,
        ),
      );
      javaChildren = childrenOf(demo.pid as number).filter((child) => child.endsWith('java'));
      expect(javaChildren.length).toBe(1);
    } finally {
      demo.signal('SIGINT');
      const code = await demo.exited;
      expect(demo.stderr).toMatch(/stopping the demo/);
      // kafkajs's own entries (JSON with "logger":"kafkajs") are for --log-level debug, not a first run.
      expect(`${demo.stdout}${demo.stderr}`).not.toMatch(/"logger":"kafkajs"/);
      expect(code).toBe(0);
    }
    // The broker it started is gone with it.
    for (const child of javaChildren) {
      const pid = Number(child.split(' ')[0]);
      expect(() => process.kill(pid, 0)).toThrow();
    }
  });
});
