import type { ServerResponse } from 'node:http';

/**
 * Server-sent events written by hand on a hijacked Node response: `id`, `event` and a one-line JSON `data`
 * per event (JSON never holds a raw line break, so untrusted text cannot forge an event), a comment line as
 * a heartbeat so that proxies and clients see the connection alive, and a cap on what a slow client may
 * leave unread before it is cut off.
 */
export interface SseOptions {
  /** A `: heartbeat` comment after this many ms. Default 15,000. */
  readonly heartbeatMs?: number;
  /** Bytes a client may leave unread before the stream is closed. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Headers besides the SSE ones (already checked: never raw client input). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class SseStream {
  readonly #response: ServerResponse;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onClose = new Set<() => void>();
  #nextId = 1;
  #closed = false;

  constructor(response: ServerResponse, options: SseOptions = {}) {
    this.#response = response;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    response.writeHead(200, {
      ...options.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    response.write(': connected\n\n');
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    response.once('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event; `data` is written as JSON on one line. */
  send(event: string, data: unknown): void {
    this.#write(`id: ${this.#nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Calls `listener` once when the stream closes, whichever side closed it. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#onClose.add(listener);
  }

  /** Ends the stream. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (!this.#response.writableEnded) this.#response.end();
    for (const listener of this.#onClose) listener();
    this.#onClose.clear();
  }

  #write(chunk: string): void {
    if (this.#closed) return;
    if (this.#response.writableLength > this.#maxBuffered) {
      // A client this far behind would only fall further behind: let it reconnect.
      this.#response.destroy();
      this.close();
      return;
    }
    this.#response.write(chunk);
  }
}
