import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeviceStats } from '../../src/bot/format.js';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

/**
 * A stand-in for the probestream API over HTTP, answering as its routes do (`{"error":{"code","message"}}`
 * on errors). The real API is exercised by the integration tests.
 */
export class FakeProbestreamApi {
  readonly requests: ApiRequest[] = [];
  readonly byMac = new Map<string, DeviceStats>();
  readonly byName = new Map<string, DeviceStats>();
  readonly alerts = new Map<string, string>();
  /** Names set by PUT /devices/:mac/name, by MAC. */
  readonly names = new Map<string, string>();
  /** What a 404 by name suggests. */
  suggestions: string[] = [];
  /** When set, every request gets this status and error code. */
  failure: { status: number; code: string; message: string } | undefined;
  /** Milliseconds before each answer. */
  delayMs = 0;
  readonly #server: Server;
  readonly #token: string | undefined;

  private constructor(server: Server, token: string | undefined) {
    this.#server = server;
    this.#token = token;
  }

  static async start(options: { token?: string } = {}): Promise<FakeProbestreamApi> {
    let api: FakeProbestreamApi | undefined;
    const server = createServer((request, response) => void api?.handle(request, response));
    api = new FakeProbestreamApi(server, options.token);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '/';
    const method = request.method ?? 'GET';
    this.requests.push({
      method,
      path,
      authorization: request.headers.authorization,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const send = (status: number, body?: unknown): void => {
      if (body === undefined) {
        response.writeHead(status).end();
        return;
      }
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { error: { code, message } });
    if (this.failure) return fail(this.failure.status, this.failure.code, this.failure.message);

    const segments = path.split('?')[0]?.split('/').slice(1).map(decodeURIComponent) ?? [];
    if (method === 'GET' && segments[0] === 'devices' && segments[2] === 'stats' && segments.length === 3) {
      const stats = this.byMac.get(segments[1] as string);
      return stats ? send(200, stats) : fail(404, 'DEVICE_NOT_FOUND', 'no probe request has been counted');
    }
    if (
      method === 'GET' &&
      segments[0] === 'devices' &&
      segments[1] === 'by-name' &&
      segments[3] === 'stats'
    ) {
      const stats = this.byName.get(segments[2] as string);
      if (stats) return send(200, stats);
      const suggestions = this.suggestions.map((name) => ({ name, macs: ['02:00:00:00:00:09'] }));
      return send(404, {
        error: { code: 'DEVICE_NOT_FOUND', message: 'no probe request has been counted', suggestions },
      });
    }
    if (method === 'PUT' && segments[0] === 'devices' && segments[2] === 'name' && segments.length === 3) {
      if (this.#token !== undefined && request.headers.authorization !== `Bearer ${this.#token}`) {
        return fail(401, 'UNAUTHORIZED', 'the bearer token is wrong');
      }
      const { name } = JSON.parse(this.requests.at(-1)?.body ?? '{}') as { name: string };
      this.names.set(segments[1] as string, name);
      return send(200, { mac: segments[1], name, source: 'manual', isGuest: false });
    }
    if (segments[0] === 'ssid-alerts') {
      if (method === 'GET' && segments.length === 1) {
        const alerts = [...this.alerts].sort().map(([ssid, reason]) => ({ ssid, reason }));
        return send(200, { alerts });
      }
      if (this.#token !== undefined && request.headers.authorization !== `Bearer ${this.#token}`) {
        return fail(401, 'UNAUTHORIZED', 'the bearer token is wrong');
      }
      const ssid = segments[1] as string;
      if (method === 'PUT') {
        const { reason } = JSON.parse(this.requests.at(-1)?.body ?? '{}') as { reason: string };
        this.alerts.set(ssid, reason);
        return send(200, { ssid, reason });
      }
      if (method === 'DELETE') {
        this.alerts.delete(ssid);
        return send(204);
      }
    }
    return fail(404, 'NOT_FOUND', 'no such route');
  }
}
