import { type IncomingHttpHeaders, request } from 'node:http';
import { WaitingQueue } from './waiting-queue.js';

/** One line of a push query's body, parsed as the seed's Python bots parse it. */
export type PushLine =
  | { readonly header: { readonly queryId: string; readonly schema: string } }
  | { readonly row: { readonly columns: unknown[] } }
  | { readonly finalMessage: string }
  | { readonly errorMessage: unknown };

/** A push query read line by line, as a ksqlDB client over HTTP/1.1 reads it. */
export interface PushQueryConnection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every raw line received so far, as sent. */
  readonly rawLines: string[];
  /** The next parsed line, or a rejection after timeoutMs. */
  next(timeoutMs?: number): Promise<PushLine>;
  /** Resolves when the server ends the body. */
  readonly ended: Promise<void>;
  /** The client goes away (as a bot stopped with Ctrl-C). */
  close(): void;
}

/**
 * POSTs a statement to /query and reads the chunked body line by line: split on newlines, drop the
 * array's `[` or `]` and the trailing comma, parse the JSON, exactly as the seed's bots did.
 */
export function postPushQuery(
  url: string,
  ksql: string,
  streamsProperties: Record<string, string> = {},
): Promise<PushQueryConnection> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ ksql, streamsProperties });
    const req = request(
      `${url}/query`,
      { method: 'POST', headers: { 'content-type': 'application/vnd.ksql.v1+json; charset=utf-8' } },
      (response) => {
        const lines = new WaitingQueue<PushLine>('line');
        const rawLines: string[] = [];
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
            const raw = buffer.slice(0, end);
            buffer = buffer.slice(end + 1);
            rawLines.push(raw);
            const text = raw
              .trim()
              .replace(/^\[/, '')
              .replace(/[,\]]$/, '');
            if (text === '') continue;
            lines.push(JSON.parse(text) as PushLine);
          }
        });
        const ended = new Promise<void>((done) => {
          response.on('end', done);
          response.on('close', done);
        });
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          rawLines,
          ended,
          next(timeoutMs = 30_000) {
            return lines.next(timeoutMs);
          },
          close() {
            req.destroy();
          },
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs a statement to /query or /ksql and reads the whole answer. */
export async function postKsql(
  url: string,
  endpoint: '/query' | '/ksql',
  ksql: string,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${url}${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.ksql.v1+json', ...headers },
    body: JSON.stringify({ ksql, streamsProperties: {} }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}
