import type { ServerResponse } from 'node:http';
import type { PushSink } from '../../query/index.js';

/** Bytes a slow client may leave unread before its push query is ended. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * A push query's chunked body, as ksqlDB writes it: `[` and the header on the first line, then one line per
 * row, `{"row":{"columns":[…]}},` (clients split on lines and drop the trailing comma), and at LIMIT
 * `{"finalMessage":"Limit Reached"}]`. A query that fails ends with `{"errorMessage":{…}}]`.
 */
export class PushResponse implements PushSink {
  readonly #raw: ServerResponse;
  readonly #type: string;
  readonly #servedBy: string;
  readonly #held: string[] = [];
  #opened = false;
  #closed = false;
  #onClose: (() => void) | undefined;

  constructor(raw: ServerResponse, mediaType: string, servedBy: string) {
    this.#raw = raw;
    this.#type = mediaType;
    this.#servedBy = servedBy;
    raw.on('close', () => this.close());
  }

  onClose(listener: () => void): void {
    this.#onClose = listener;
    if (this.#closed) listener();
  }

  /** Writes the status, headers and header line, then any rows that came before. */
  open(header: unknown): void {
    if (this.#closed) return;
    this.#raw.writeHead(200, {
      'Content-Type': this.#type,
      'Cache-Control': 'no-store',
      ...(this.#servedBy === '' ? {} : { 'X-Probestream-Served-By': this.#servedBy }),
    });
    this.#opened = true;
    this.#write(`[${JSON.stringify({ header })},\n`);
    for (const line of this.#held.splice(0)) this.#write(line);
  }

  row(columns: unknown[]): void {
    const line = `${JSON.stringify({ row: { columns } })},\n`;
    if (!this.#opened) this.#held.push(line);
    else this.#write(line);
    if (this.#raw.writableLength > MAX_BUFFERED_BYTES)
      this.end('error', new Error('the client reads too slowly'));
  }

  end(reason: 'limit' | 'error', error?: Error): void {
    const last =
      reason === 'limit'
        ? { finalMessage: 'Limit Reached' }
        : {
            errorMessage: {
              '@type': 'generic_error',
              error_code: 50000,
              message: error?.message ?? 'the query failed',
            },
          };
    const finish = () => {
      this.#write(`${JSON.stringify(last)}]\n`);
      this.#raw.end();
      this.close();
    };
    if (this.#opened) finish();
    else setImmediate(() => this.#opened && !this.#closed && finish());
  }

  #write(text: string): void {
    if (!this.#closed && !this.#raw.writableEnded) this.#raw.write(text);
  }

  /** Ends the body (the server closing, the client gone). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#raw.writableEnded) this.#raw.end();
    this.#onClose?.();
  }
}
