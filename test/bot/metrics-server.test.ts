import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, NotifierMetrics, startMetricsServer } from '../../src/bot/index.js';
import { silentLogger } from '../../src/logging/index.js';

describe("the bot's own metrics server", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  async function started(): Promise<{ metrics: NotifierMetrics; url: string }> {
    const metrics = new NotifierMetrics();
    server = await startMetricsServer({
      registry: metrics.registry,
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    return { metrics, url: `http://127.0.0.1:${server.port}` };
  }

  it("serves the notifier's counters at GET /metrics in Prometheus's text format", async () => {
    const { metrics, url } = await started();
    metrics.sent.inc(3);
    metrics.retries.inc({ reason: 'rate_limited' });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('probestream_bot_alerts_sent_total 3\n');
    expect(text).toContain('probestream_bot_alerts_retried_total{reason="rate_limited"} 1\n');
  });

  it('serves nothing else: 404 for another path, 405 for another method', async () => {
    const { url } = await started();
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('closes idempotently', async () => {
    await started();
    await Promise.all([server?.close(), server?.close()]);
  });
});
