/**
 * A ksqlDB REST client, as much as `probestream sql` needs: `/ksql` statements answered whole, and `/query`
 * answers read line by line as they come (a push query's rows until its LIMIT, or until aborted).
 */

export interface QueryHeader {
  readonly queryId: string;
  readonly schema: string;
}

/** What a statement answered: an error body, or its JSON. */
export type KsqlAnswer =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly message: string };

export interface QueryHandlers {
  header(header: QueryHeader): void;
  row(columns: readonly unknown[]): void;
  /** `Limit Reached`, or the error message that ended the query. */
  final(message: string, failed: boolean): void;
}

const MEDIA_TYPE = 'application/vnd.ksql.v1+json';

function errorMessage(status: number, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : `the server answered ${status}`;
}

/** Runs statements on /ksql; the answer's array of entities, or the error. */
export async function postStatements(
  api: string,
  ksql: string,
  token: string | undefined,
  signal: AbortSignal,
): Promise<KsqlAnswer> {
  const response = await fetch(new URL('/ksql', api), {
    method: 'POST',
    headers: {
      'content-type': MEDIA_TYPE,
      accept: MEDIA_TYPE,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ ksql, streamsProperties: {} }),
    signal,
  });
  const body = (await response.json().catch(() => null)) as unknown;
  return response.ok
    ? { ok: true, body }
    : { ok: false, status: response.status, message: errorMessage(response.status, body) };
}

/**
 * Runs a SELECT on /query and hands each line to `handlers` as it arrives. Resolves when the server ends
 * the answer or `signal` aborts (then quietly: Ctrl-C ends a push query). Resolves with the error for a 4xx/5xx.
 */
export async function postQuery(
  api: string,
  ksql: string,
  properties: Readonly<Record<string, string>>,
  handlers: QueryHandlers,
  signal: AbortSignal,
): Promise<KsqlAnswer> {
  let response: Response;
  try {
    response = await fetch(new URL('/query', api), {
      method: 'POST',
      headers: { 'content-type': MEDIA_TYPE, accept: MEDIA_TYPE },
      body: JSON.stringify({ ksql, streamsProperties: properties }),
      signal,
    });
  } catch (error) {
    if (signal.aborted) return { ok: true, body: null };
    throw error;
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as unknown;
    return { ok: false, status: response.status, message: errorMessage(response.status, body) };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  const line = (raw: string) => {
    const text = raw
      .trim()
      .replace(/^\[/, '')
      .replace(/[,\]]$/, '');
    if (text === '') return;
    const item = JSON.parse(text) as Record<string, unknown>;
    if (item.header !== undefined) handlers.header(item.header as QueryHeader);
    else if (item.row !== undefined) handlers.row((item.row as { columns: unknown[] }).columns);
    else if (typeof item.finalMessage === 'string') handlers.final(item.finalMessage, false);
    else if (item.errorMessage !== undefined) handlers.final(errorMessage(500, item.errorMessage), true);
  };
  try {
    for await (const chunk of response.body ?? []) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        line(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
      }
    }
    // A pull query's answer is one JSON array, not necessarily split into lines.
    if (buffer.trim() !== '') {
      const all = JSON.parse(buffer) as Record<string, unknown>[];
      for (const item of all) line(JSON.stringify(item));
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return { ok: true, body: null };
}
