import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Longer than any answer should take (a forwarded lookup gives up after 2 s): past it, a timeout. */
const REQUEST_TIMEOUT_MS = 5_000;

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One lookup's outcome: an answer (status, body, headers that matter), or why there was none. */
export type Lookup =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly body: string;
      readonly servedBy: string | undefined;
      readonly staleLag: string | undefined;
      readonly ms: number;
    }
  | { readonly kind: 'unreachable' | 'timeout'; readonly message: string; readonly ms: number };

/** GET /devices/<mac>/stats on 127.0.0.1:`port`. Never rejects. */
export function lookup(port: number, mac: string): Promise<Lookup> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Lookup) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = request({ agent, host: '127.0.0.1', port, path: `/devices/${mac}/stats` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) =>
        settle({ kind: 'unreachable', message: error.message, ms: performance.now() - started }),
      );
      res.on('end', () =>
        settle({
          kind: 'answer',
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          servedBy: header(res.headers['x-probestream-served-by']),
          staleLag: header(res.headers['x-probestream-stale-lag']),
          ms: performance.now() - started,
        }),
      );
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      settle({ kind: 'timeout', message: `no answer in ${REQUEST_TIMEOUT_MS} ms`, ms: REQUEST_TIMEOUT_MS });
      req.destroy();
    });
    req.on('error', (error) =>
      settle({ kind: 'unreachable', message: error.message, ms: performance.now() - started }),
    );
    req.end();
  });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function closeHttp(): void {
  agent.destroy();
}
