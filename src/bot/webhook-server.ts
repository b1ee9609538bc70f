import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Bot, webhookCallback } from 'grammy';
import type { Logger } from '../logging/index.js';
import { describeError } from './errors.js';

export interface WebhookServerOptions {
  readonly bot: Bot;
  /** The path Telegram posts to (the webhook URL's path). */
  readonly path: string;
  /** Telegram sends it as X-Telegram-Bot-Api-Secret-Token; anything else gets a 403. */
  readonly secret: string;
  readonly host: string;
  readonly port: number;
  /** Only to keep the token out of log lines. */
  readonly token: string;
  readonly logger: Logger;
}

export interface WebhookServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** Stops taking updates, waits up to `graceMs` for those in progress. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/** Updates are small; anything bigger is not from Telegram. */
const MAX_UPDATE_BYTES = 1024 * 1024;
/** Telegram waits about a minute for an answer; answer before that and go on handling in the background. */
const ANSWER_WITHIN_MS = 25_000;

/**
 * A small HTTP server for webhook mode: POST `path` with the right secret goes to grammY's webhook
 * callback; a wrong or missing secret gets a 403 before the body is read; other paths a 404.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { bot, path, logger, token } = options;
  const expected = digest(options.secret);
  const callback = webhookCallback(bot, 'http', {
    secretToken: options.secret,
    onTimeout: 'return',
    timeoutMilliseconds: ANSWER_WITHIN_MS,
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://webhook');
    if (url.pathname !== path) return end(response, 404, 'not found');
    if (request.method !== 'POST') return end(response, 405, 'method not allowed', { allow: 'POST' });
    const given = request.headers['x-telegram-bot-api-secret-token'];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      logger.warn(
        `refused a webhook request from ${request.socket.remoteAddress}: wrong or missing secret token`,
      );
      return end(response, 403, 'forbidden');
    }
    const length = Number(request.headers['content-length']);
    if (!Number.isInteger(length)) return end(response, 411, 'length required');
    if (length > MAX_UPDATE_BYTES) return end(response, 413, 'payload too large');
    try {
      await callback(request, response);
    } catch (error) {
      // grammY's adapter throws a SyntaxError for a body that is not JSON: not Telegram, not worth a retry.
      if (error instanceof SyntaxError) return end(response, 400, 'not an update');
      logger.warn(`a webhook update failed: ${describeError(error, token)}`);
      if (!response.headersSent) end(response, 500, 'internal error');
    }
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close(graceMs = 5000) {
      closed ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

function end(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  // The body is not read: closing the connection keeps a large or slow one from lingering.
  response.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...headers }).end(message);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
