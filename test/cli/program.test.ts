import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import { freePort } from '../../src/local/ports.js';

describe('probestream CLI', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function capture() {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return {
      out: () => out.mock.calls.map((c) => String(c[0])).join(''),
      err: () => err.mock.calls.map((c) => String(c[0])).join(''),
    };
  }

  it('prints the package version with --version and exits 0', async () => {
    const io = capture();
    expect(await main(['--version'])).toBe(0);
    expect(io.out()).toBe('0.1.0\n');
  });

  it('lists the commands with --help and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'])).toBe(0);
    expect(io.out()).toMatch(/^probestream 0\.1\.0: /);
    expect(io.out()).toMatch(/\n {2}start +Run the probe topology/);
    expect(io.out()).toMatch(/\n {2}topology +Print the probe topology/);
  });

  it('prints the help on stderr with exit code 2 when given no command at all', async () => {
    const io = capture();
    expect(await main([])).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/^probestream 0\.1\.0: /);
    expect(io.err()).toContain('Usage: probestream <command> [options]');
  });

  it('refuses to start on a port already in use, naming it and --port, before touching Kafka', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const io = capture();
      const started = Date.now();
      // No broker listens on port 1: reaching Kafka at all would fail differently, and later.
      expect(await main(['start', '--port', String(port), '--brokers', '127.0.0.1:1'])).toBe(1);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(io.err()).toBe(
        `probestream start: port ${port} is already in use on 0.0.0.0: choose another with --port (or API_PORT)\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('says which API address query tried when nothing answers there, and how to give another', async () => {
    const port = await freePort();
    const io = capture();
    expect(await main(['query', 'Kitchen iPad', '--api', `http://127.0.0.1:${port}`])).toBe(1);
    expect(io.err()).toBe(
      `❌ Query failed (unreachable): the probestream API at http://127.0.0.1:${port} could not be reached\n` +
        'Is `probestream start` running there? Give its address with --api or PROBESTREAM_API_URL.\n',
    );
  });

  it('query exits 1 when no device matched and 0 when one did, whatever the text says', async () => {
    const api = createHttpServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/devices/by-name/')) {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: { code: 'DEVICE_NOT_FOUND', message: 'no such device' } }));
        return;
      }
      const stats = { probeCount: 3, firstProbe: '2026-01-01T10:00:00Z', lastProbe: '2026-01-01T11:00:00Z' };
      response.end(JSON.stringify({ ...stats, uniqueSsidsProbed: 1, ssidsProbed: ['home'] }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
    try {
      const missing = capture();
      expect(await main(['query', 'Kitchen iPad', '--api', url])).toBe(1);
      expect(missing.out()).toMatch(/Kitchen iPad/);
      vi.restoreAllMocks();
      const found = capture();
      expect(await main(['query', 'AA-BB-CC-DD-EE-01', '--api', url])).toBe(0);
      expect(found.out()).toMatch(/aa:bb:cc:dd:ee:01/);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it("prints a command's options with their environment twins and defaults", async () => {
    const io = capture();
    expect(await main(['start', '--help'])).toBe(0);
    expect(io.out()).toContain('Usage: probestream start [options]');
    expect(io.out()).toMatch(
      /--brokers <value>, \$KAFKA_BROKERS +Kafka bootstrap servers.*\[default: localhost:9092\]/,
    );
    expect(io.out()).toMatch(/--state-dir <value>, \$STATE_DIR .*\[default: \.\/state\]/);
  });

  it("keeps the indent of a description's first line, as a table of subcommands has it", async () => {
    const io = capture();
    expect(await main(['devices', '--help'])).toBe(0);
    expect(io.out()).toMatch(/\n {2}list {22}every device/);
    expect(io.out()).toMatch(/\n {2}set <mac> <name> {10}names a device/);
  });

  it('rejects an unknown command or flag with exit code 2 and says which', async () => {
    const io = capture();
    expect(await main(['frobnicate'])).toBe(2);
    expect(await main(['--frobnicate'])).toBe(2);
    expect(await main(['start', '--frobnicate'])).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
    expect(io.err()).toContain('unknown option "--frobnicate"');
    expect(io.err()).toContain("probestream start: Unknown option '--frobnicate'");
  });

  it('refuses a bad setting naming the flag, before connecting to anything', async () => {
    const io = capture();
    expect(await main(['start', '--port', 'eighty'])).toBe(2);
    expect(io.err()).toContain('probestream start: --port: "eighty" is not a whole number');
  });

  it('prints the described topology', async () => {
    const io = capture();
    expect(await main(['topology'])).toBe(0);
    expect(io.out()).toContain('pcap-stats-by-name');
    expect(io.out()).toContain('Global store: ssid-alert-list (topic: ssid_alert_list;');
    expect(io.out()).not.toContain('probes-by-ssid-repartition');
  });
});
