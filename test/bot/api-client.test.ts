import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbestreamApiClient } from '../../src/bot/api-client.js';
import { ApiRequestError } from '../../src/bot/errors.js';
import { freePort } from '../../src/local/ports.js';
import { FakeProbestreamApi } from './fake-probestream-api.js';

const stats = {
  mac: 'a4:83:e7:4e:39:15',
  probeCount: 3,
  firstProbe: '2020-04-22T14:05:39.623Z',
  lastProbe: '2020-04-22T14:05:41.123Z',
  uniqueSsidsProbed: 3,
  ssidsProbed: [null, '', 'RNM0'],
};

async function failure(promise: Promise<unknown>): Promise<ApiRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiRequestError);
  return error as ApiRequestError;
}

describe('ProbestreamApiClient', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function fakeApi(token?: string) {
    const api = await FakeProbestreamApi.start(token === undefined ? {} : { token });
    closers.push(() => api.close());
    return api;
  }

  /** A server that answers every request with `handler`. */
  async function rawServer(handler: Parameters<typeof createServer>[1]) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('shouldGetStatsByMacAndByNameWithTheirPathsEncoded', async () => {
    const api = await fakeApi();
    api.byMac.set(stats.mac, stats);
    api.byName.set('Kitchen iPad/2', { ...stats, name: 'Kitchen iPad/2' });
    const client = new ProbestreamApiClient({ apiUrl: `${api.url}/` });
    expect(await client.statsByMac(stats.mac)).toEqual(stats);
    expect(await client.statsByName('Kitchen iPad/2')).toMatchObject({
      stats: { name: 'Kitchen iPad/2', probeCount: 3 },
      suggestions: [],
    });
    expect(api.requests.map((r) => r.path)).toEqual([
      '/devices/a4%3A83%3Ae7%3A4e%3A39%3A15/stats',
      '/devices/by-name/Kitchen%20iPad%2F2/stats',
    ]);
  });

  it('shouldAnswerUndefinedForADeviceNotFound', async () => {
    const api = await fakeApi();
    const client = new ProbestreamApiClient({ apiUrl: api.url });
    expect(await client.statsByMac('00:00:00:00:00:01')).toBeUndefined();
    expect(await client.statsByName('nobody')).toEqual({ suggestions: [] });
    api.suggestions = ['Nobody’s phone', 'Noah'];
    expect(await client.statsByName('nobody')).toEqual({ suggestions: ['Nobody’s phone', 'Noah'] });
  });

  it('shouldNameADeviceWithTheApiToken', async () => {
    const api = await fakeApi('t0k3n');
    await new ProbestreamApiClient({ apiUrl: api.url, apiToken: 't0k3n' }).setName(stats.mac, 'Kitchen iPad');
    expect(api.names.get(stats.mac)).toBe('Kitchen iPad');
    expect(api.requests.at(-1)).toMatchObject({ method: 'PUT', authorization: 'Bearer t0k3n' });
  });

  it('shouldFailWithTheStatusAndCodeOfAnApiError', async () => {
    const api = await fakeApi();
    api.failure = { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'a partition is restoring' };
    const client = new ProbestreamApiClient({ apiUrl: api.url });
    const error = await failure(client.statsByMac('00:00:00:00:00:01'));
    expect(error).toMatchObject({
      status: 503,
      apiCode: 'SERVICE_UNAVAILABLE',
      message: 'a partition is restoring',
    });
    expect(error.code).toBe('API_FAILED');
  });

  it('shouldNotTakeA404OfAnotherKindForADeviceNotFound', async () => {
    const url = await rawServer((_req, res) => {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"NOT_FOUND","message":"no route"}}');
    });
    const error = await failure(new ProbestreamApiClient({ apiUrl: url }).statsByMac('00:00:00:00:00:01'));
    expect(error).toMatchObject({ status: 404, apiCode: 'NOT_FOUND' });
  });

  it('shouldFailWithHttpErrorForAnAnswerThatIsNotJson', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' }).end('<html>proxy</html>');
    });
    const error = await failure(new ProbestreamApiClient({ apiUrl: url }).watchedSsids());
    expect(error).toMatchObject({
      status: 502,
      apiCode: 'HTTP_ERROR',
      message: 'the API answered 502 Bad Gateway',
    });
  });

  it('shouldFailWithInvalidResponseForA200ThatIsNotStats', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"probeCount":"many"}');
    });
    const error = await failure(new ProbestreamApiClient({ apiUrl: url }).statsByMac('00:00:00:00:00:01'));
    expect(error).toMatchObject({ status: 200, apiCode: 'INVALID_RESPONSE' });
  });

  it('shouldTimeOutASlowApi', async () => {
    const api = await fakeApi();
    api.delayMs = 2000;
    const started = Date.now();
    const error = await failure(
      new ProbestreamApiClient({ apiUrl: api.url, timeoutMs: 200 }).statsByName('x'),
    );
    expect(error).toMatchObject({ status: undefined, apiCode: 'TIMEOUT', code: 'API_UNREACHABLE' });
    expect(error.message).toBe(`the probestream API at ${api.url} did not answer within 200 ms`);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('shouldFailWithUnreachableNamingTheAddressTriedWithoutItsCredentials', async () => {
    const port = await freePort();
    const error = await failure(
      new ProbestreamApiClient({ apiUrl: `http://admin:s3cret@127.0.0.1:${port}/` }).statsByName('x'),
    );
    expect(error).toMatchObject({ status: undefined, apiCode: 'UNREACHABLE' });
    expect(error.message).toBe(`the probestream API at http://127.0.0.1:${port} could not be reached`);
  });

  it('shouldRefuseAnAnswerTooLargeToBeOne', async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 6; i++) res.write(chunk);
      res.end();
    });
    const error = await failure(new ProbestreamApiClient({ apiUrl: url }).watchedSsids());
    expect(error).toMatchObject({ apiCode: 'INVALID_RESPONSE', message: 'the API answer is too large' });
  });

  it('shouldSendTheBearerTokenOnWritesOnly', async () => {
    const api = await fakeApi('api-token');
    const client = new ProbestreamApiClient({ apiUrl: api.url, apiToken: 'api-token' });
    await client.watch('Cafe Wi-Fi', 'near work');
    expect(await client.watchedSsids()).toEqual([{ ssid: 'Cafe Wi-Fi', reason: 'near work' }]);
    await client.unwatch('Cafe Wi-Fi');
    expect(await client.watchedSsids()).toEqual([]);
    expect(api.requests.map((r) => [r.method, r.path, r.authorization])).toEqual([
      ['PUT', '/ssid-alerts/Cafe%20Wi-Fi', 'Bearer api-token'],
      ['GET', '/ssid-alerts', undefined],
      ['DELETE', '/ssid-alerts/Cafe%20Wi-Fi', 'Bearer api-token'],
      ['GET', '/ssid-alerts', undefined],
    ]);
    expect(api.requests[0]?.body).toBe('{"reason":"near work"}');
  });

  it('shouldFailWithUnauthorizedWithoutTheToken', async () => {
    const api = await fakeApi('api-token');
    const error = await failure(new ProbestreamApiClient({ apiUrl: api.url }).watch('x', 'y'));
    expect(error).toMatchObject({ status: 401, apiCode: 'UNAUTHORIZED' });
  });
});
