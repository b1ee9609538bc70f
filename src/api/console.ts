import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/**
 * The web console's policy: scripts and styles from this server only, no inline script or style, no
 * plugins, no framing, and (Trusted Types) no string may ever be parsed as HTML by the page's own scripts,
 * so an SSID or a name can only ever be text.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The console's files, shipped in the package's `console/` folder (beside `dist/` and `src/`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** Every servable file of the console folder, read once: the set is small and fixed per release. */
export function loadConsoleAssets(dir = CONSOLE_DIR): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply
    .header('Content-Security-Policy', CONSOLE_CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY')
    // Revalidated every time, so a new release is never half-cached; the ETag keeps that cheap.
    .header('Cache-Control', 'no-cache')
    .header('ETag', asset.etag);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

/** The web console: its page at `/`, its scripts and styles under `/console/`. Hidden from the OpenAPI document. */
export function registerConsole(app: FastifyInstance, assets = loadConsoleAssets()): void {
  const index = assets.get('index.html');
  if (index === undefined) throw new TypeError(`the console folder has no index.html`);
  app.get('/', { schema: { hide: true } }, async (request, reply) => send(request, reply, index));
  app.get<{ Params: { file: string } }>(
    '/console/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (asset === undefined) throw new ApiError('NOT_FOUND', 'the console has no such file');
      return send(request, reply, asset);
    },
  );
}
