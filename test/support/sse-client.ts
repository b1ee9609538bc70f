import { type IncomingHttpHeaders, request } from 'node:http';
import { WaitingQueue } from './waiting-queue.js';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
}

/** A minimal server-sent-events reader over node:http, for tests against a listening server. */
export interface SseConnection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Comment lines received so far (heartbeats), without the leading colon. */
  readonly comments: string[];
  /** The next event, or a rejection after timeoutMs. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(url: string): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      const events = new WaitingQueue<SseEvent>('event');
      const comments: string[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
            }
          }
          if (fields.data !== undefined) {
            events.push({ id: fields.id, event: fields.event, data: fields.data });
          }
          end = buffer.indexOf('\n\n');
        }
      });
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        comments,
        ended,
        next(timeoutMs = 5000) {
          return events.next(timeoutMs);
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
