import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/index.js';

export interface MetricsServerOptions {
  /** What `GET /metrics` renders: the bot's counters. */
  readonly registry: Registry;
  readonly host: string;
  /** 0: any free port (see `port` on the answer). */
  readonly port: number;
  readonly logger: Logger;
}

export interface MetricsServer {
  readonly port: number;
  /** Stops listening; a scrape in progress is cut. Idempotent. */
  close(): Promise<void>;
}

/**
 * `GET /metrics` in Prometheus's text format, for a bot that runs as its own process (`probestream bot`):
 * inside `probestream start` the API serves the same counters. Nothing else is served, and nothing is read
 * from a request, so the port can face a scraper without exposing the bot.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, logger } = options;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://bot').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the bot serves /metrics');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.warn(`could not render the metrics: ${(error as Error).message}`);
        response.writeHead(500, { 'content-type': 'text/plain' }).end('the metrics could not be rendered');
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(`metrics on http://${options.host}:${port}/metrics`);
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
