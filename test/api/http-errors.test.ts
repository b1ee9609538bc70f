import { describe, expect, test } from 'vitest';
import { MAC, testApi } from './fakes.js';

describe('answers that no route gives', () => {
  test('an unknown path is 404 NOT_FOUND in JSON', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/nowhere?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route has this path; see /docs/json' },
    });
  });

  test('a known path with another method is 405 with Allow', async () => {
    const api = await testApi();
    const response = await api.app.inject({ method: 'POST', url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(response.json()).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed here; use GET, HEAD' },
    });
  });

  test('a URL that is not valid percent-encoding is 400 in the same shape', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/devices/%zz/stats' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
    expect(response.json()).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'the URL is not valid percent-encoded UTF-8' },
    });
  });

  test('every answer names this instance', async () => {
    const api = await testApi();
    for (const url of ['/healthz', '/nowhere', '/devices/x/stats', '/ssid-alerts']) {
      expect((await api.app.inject({ url })).headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
    }
  });
});

describe('rate limit', () => {
  test('answers 429 with Retry-After past the limit, per client, but never for health and metrics', async () => {
    const api = await testApi({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
    const from = (remoteAddress: string) => api.app.inject({ url: '/ssid-alerts', remoteAddress });
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1')).statusCode).toBe(200);
    const limited = await from('10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: 'too many requests from this client; slow down' },
    });
    expect((await from('10.0.0.2')).statusCode).toBe(200);
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await api.app.inject({ url, remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    }
  });

  test('can be turned off', async () => {
    const api = await testApi({ rateLimit: false });
    for (let i = 0; i < 50; i++) expect((await api.app.inject({ url: '/ssid-alerts' })).statusCode).toBe(200);
  });
});

describe('options', () => {
  test.each([
    [{ instanceName: 'host:80\r\nX-Evil: 1' }, 'instanceName must be host:port'],
    [{ apiToken: '' }, 'apiToken must be a non-empty string when set'],
    [{ bodyLimit: 0 }, 'bodyLimit must be an integer from 1 to 16777216, not 0'],
    [
      { rateLimit: { max: 0, timeWindowMs: 1000 } },
      'rateLimit.max must be an integer from 1 to 10000000, not 0',
    ],
  ])('refuses %j with a TypeError', async (options, message) => {
    await expect(testApi(options)).rejects.toThrow(TypeError);
    await expect(testApi(options)).rejects.toThrow(message);
  });
});

describe('routes of other parts', () => {
  test('share the hooks and the error catalogue', async () => {
    const api = await testApi({
      registerRoutes: (app) => {
        app.get('/internal/boom', async () => {
          throw new Error('secret detail');
        });
      },
    });
    const response = await api.app.inject({ url: '/internal/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(response.headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
  });
});
