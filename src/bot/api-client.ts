import { ApiRequestError } from './errors.js';
import type { DeviceStats, WatchedSsid } from './format.js';

/** What a lookup by name found: the figures, or else the names the API suggests instead. */
export interface NameAnswer {
  readonly stats?: DeviceStats;
  readonly suggestions: readonly string[];
}

export interface ProbestreamApiClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly apiUrl: string;
  /** Sent as `Authorization: Bearer <apiToken>` on writes. */
  readonly apiToken?: string | undefined;
  /** How long one request may take, headers and body. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** For tests. Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

/** The biggest answer read, so that a wrong URL pointing at a large download cannot exhaust memory. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A client of the probestream API over HTTP. A device that has no figures is `undefined`; every other
 * failure throws ApiRequestError with the HTTP status (undefined when no answer came) and the API's error
 * code, so that the reply can say what went wrong without a stack.
 */
export class ProbestreamApiClient {
  readonly #base: string;
  /** The base URL as messages show it: without the credentials a URL may hold. */
  readonly #where: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ProbestreamApiClientOptions) {
    this.#base = options.apiUrl.replace(/\/+$/, '');
    this.#where = withoutCredentials(this.#base);
    this.#token = options.apiToken;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The figures of the device with this MAC (any spelling the API accepts), or undefined when it has none. */
  async statsByMac(mac: string): Promise<DeviceStats | undefined> {
    const answer = await this.#request('GET', `/devices/${encodeURIComponent(mac)}/stats`, {
      notFound: true,
    });
    return answer === undefined ? undefined : checkStats(answer);
  }

  /**
   * The figures of the devices of this name (any case and accents), together; when there are none, the
   * close names the API suggests (at most 5, perhaps none).
   */
  async statsByName(name: string): Promise<NameAnswer> {
    const path = `/devices/by-name/${encodeURIComponent(name)}/stats`;
    const suggestions: string[] = [];
    const answer = await this.#request('GET', path, { notFound: true, suggestions });
    return answer === undefined ? { suggestions } : { stats: checkStats(answer), suggestions: [] };
  }

  /** Names the device by hand (source `manual`); answers the name as written. */
  async setName(mac: string, name: string): Promise<void> {
    await this.#request('PUT', `/devices/${encodeURIComponent(mac)}/name`, { body: { name }, write: true });
  }

  /** The SSID alert list, sorted by SSID. */
  async watchedSsids(): Promise<WatchedSsid[]> {
    const answer = (await this.#request('GET', '/ssid-alerts')) as { alerts?: unknown } | undefined;
    const alerts = answer?.alerts;
    if (
      !Array.isArray(alerts) ||
      !alerts.every((entry) => typeof entry?.ssid === 'string' && typeof entry?.reason === 'string')
    ) {
      throw invalidResponse();
    }
    return alerts.map((entry: WatchedSsid) => ({ ssid: entry.ssid, reason: entry.reason }));
  }

  /** Adds `ssid` to the alert list, or changes its reason. */
  async watch(ssid: string, reason: string): Promise<void> {
    await this.#request('PUT', `/ssid-alerts/${encodeURIComponent(ssid)}`, { body: { reason }, write: true });
  }

  /** Removes `ssid` from the alert list; removing one that is not there is no error. */
  async unwatch(ssid: string): Promise<void> {
    await this.#request('DELETE', `/ssid-alerts/${encodeURIComponent(ssid)}`, { write: true });
  }

  async #request(
    method: string,
    path: string,
    options: {
      readonly notFound?: boolean;
      /** Filled with the names a DEVICE_NOT_FOUND suggests. */
      readonly suggestions?: string[];
      readonly body?: unknown;
      readonly write?: boolean;
    } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.write && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        signal,
        redirect: 'error',
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      text = await readText(response);
    } catch (error) {
      if (error instanceof ApiRequestError) throw error;
      if (signal.aborted) {
        throw new ApiRequestError(
          undefined,
          'TIMEOUT',
          `the probestream API at ${this.#where} did not answer within ${this.#timeoutMs} ms`,
        );
      }
      // The cause stays out of the message: it may name the URL, and a URL may hold credentials.
      throw new ApiRequestError(
        undefined,
        'UNREACHABLE',
        `the probestream API at ${this.#where} could not be reached`,
        { cause: error },
      );
    }
    if (response.status === 204) return undefined;
    const body = parseJson(text);
    if (response.ok) {
      if (body === undefined) throw invalidResponse();
      return body;
    }
    const error = (
      body as { error?: { code?: unknown; message?: unknown; suggestions?: unknown } } | undefined
    )?.error;
    const code = typeof error?.code === 'string' ? error.code : 'HTTP_ERROR';
    if (options.notFound && response.status === 404 && code === 'DEVICE_NOT_FOUND') {
      const suggested = Array.isArray(error?.suggestions) ? error.suggestions : [];
      for (const entry of suggested.slice(0, 5)) {
        if (typeof entry?.name === 'string') options.suggestions?.push(entry.name);
      }
      return undefined;
    }
    const message =
      typeof error?.message === 'string'
        ? error.message
        : `the API answered ${response.status} ${response.statusText}`;
    throw new ApiRequestError(response.status, code, message);
  }
}

/** `url` without its user name and password; a text that is no URL at all is not repeated. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href.replace(/\/+$/, '');
  } catch {
    return '(an invalid URL)';
  }
}

async function readText(response: Response): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new ApiRequestError(response.status, 'INVALID_RESPONSE', 'the API answer is too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function invalidResponse(): ApiRequestError {
  return new ApiRequestError(200, 'INVALID_RESPONSE', 'the API answer is not what it should be');
}

function checkStats(value: unknown): DeviceStats {
  const stats = value as Partial<DeviceStats> | null;
  if (
    typeof stats !== 'object' ||
    stats === null ||
    typeof stats.probeCount !== 'number' ||
    typeof stats.firstProbe !== 'string' ||
    typeof stats.lastProbe !== 'string' ||
    typeof stats.uniqueSsidsProbed !== 'number' ||
    !Array.isArray(stats.ssidsProbed) ||
    !stats.ssidsProbed.every((ssid) => ssid === null || typeof ssid === 'string')
  ) {
    throw invalidResponse();
  }
  return stats as DeviceStats;
}
