import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/api/index.js';
import { STORES } from '../../src/probes/schemas.js';
import { testApi } from './fakes.js';

const TOKEN = 'correct horse battery staple';
const json = { 'content-type': 'application/json' };
const authorized = { ...json, authorization: `Bearer ${TOKEN}` };

describe('GET /ssid-alerts', () => {
  test('gathers the whole list, page by page, sorted by SSID', async () => {
    const api = await testApi();
    const ssids = Array.from({ length: 1500 }, (_, i) => `ssid-${String(i).padStart(4, '0')}`);
    for (const ssid of ssids) api.router.put(STORES.ssidAlertList, ssid, { reason: `reason ${ssid}` });
    const response = await api.app.inject({ url: '/ssid-alerts' });
    expect(response.statusCode).toBe(200);
    const { alerts } = response.json();
    expect(alerts).toHaveLength(1500);
    expect(alerts[0]).toEqual({ ssid: 'ssid-0000', reason: 'reason ssid-0000' });
    expect(alerts.map((alert: { ssid: string }) => alert.ssid)).toEqual(ssids);
    expect(api.router.pageCalls.map((call) => call.store)).toEqual([
      STORES.ssidAlertList,
      STORES.ssidAlertList,
    ]);
  });

  test('answers an empty list', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/ssid-alerts' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ alerts: [] });
  });
});

describe('PUT /ssid-alerts/:ssid', () => {
  test('writes the alert and answers it', async () => {
    const api = await testApi();
    const response = await api.app.inject({
      method: 'PUT',
      url: `/ssid-alerts/${encodeURIComponent('Free Wi-Fi / café')}`,
      headers: json,
      payload: { reason: 'rogue hotspot bait' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ssid: 'Free Wi-Fi / café', reason: 'rogue hotspot bait' });
    expect(api.alertList.writes).toEqual([
      { op: 'put', ssid: 'Free Wi-Fi / café', reason: 'rogue hotspot bait' },
    ]);
  });

  test('accepts an SSID of exactly 32 bytes and refuses 33 bytes, even of fewer characters', async () => {
    const api = await testApi();
    const put = (ssid: string) =>
      api.app.inject({
        method: 'PUT',
        url: `/ssid-alerts/${encodeURIComponent(ssid)}`,
        headers: json,
        payload: { reason: 'r' },
      });
    expect((await put('x'.repeat(32))).statusCode).toBe(200);
    const tooLong = await put(`${'é'.repeat(16)}x`);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toEqual({
      error: { code: 'INVALID_SSID', message: 'an SSID is 1 to 32 bytes of UTF-8' },
    });
    expect((await put('x'.repeat(33))).json().error.code).toBe('INVALID_SSID');
    expect(api.alertList.writes).toHaveLength(1);
  });

  test('refuses an empty SSID', async () => {
    const api = await testApi();
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/',
      headers: json,
      payload: {},
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_SSID');
  });

  test.each([
    [{}, 'the body needs the field "reason"'],
    [{ reason: '' }, 'body/reason must NOT have fewer than 1 characters'],
    [{ reason: 'r'.repeat(501) }, 'body/reason must NOT have more than 500 characters'],
    [['reason'], 'the body must be a JSON object, such as {"reason": "…"}'],
  ])('refuses the body %j with INVALID_REQUEST', async (payload, message) => {
    const api = await testApi();
    const response = await api.app.inject({ method: 'PUT', url: '/ssid-alerts/x', headers: json, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'INVALID_REQUEST', message } });
  });

  test.each([
    ['no body and no Content-Type', {}],
    ['an empty body sent as JSON', json],
  ])('answers %s with INVALID_REQUEST saying that the body is needed', async (_what, headers) => {
    const api = await testApi();
    const response = await api.app.inject({ method: 'PUT', url: '/ssid-alerts/X', headers });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'INVALID_REQUEST',
        message: 'this request needs a JSON body (Content-Type: application/json), such as {"reason": "…"}',
      },
    });
    expect(api.alertList.writes).toEqual([]);
  });

  test('refuses a body that is not JSON with INVALID_JSON', async () => {
    const api = await testApi();
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: json,
      payload: '{"reason":',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'INVALID_JSON', message: 'the body is not valid JSON' },
    });
  });

  test('refuses another media type with 415', async () => {
    const api = await testApi();
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: { 'content-type': 'text/plain' },
      payload: 'reason=bait',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body must be application/json' },
    });
  });

  test('refuses a body over the limit with 413', async () => {
    const api = await testApi({ bodyLimit: 1024 });
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: json,
      payload: { reason: 'r'.repeat(2000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than 1024 bytes' },
    });
  });

  test('answers 503 with Retry-After when Kafka did not take the write', async () => {
    const api = await testApi();
    api.alertList.fail = new ApiError('SERVICE_UNAVAILABLE', 'Kafka did not take the write', {
      retryAfterSeconds: 5,
    });
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: json,
      payload: { reason: 'r' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
  });
});

describe('DELETE /ssid-alerts/:ssid', () => {
  test('writes a tombstone and answers 204 with no body', async () => {
    const api = await testApi();
    const response = await api.app.inject({ method: 'DELETE', url: '/ssid-alerts/RNM0' });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(api.alertList.writes).toEqual([{ op: 'delete', ssid: 'RNM0' }]);
  });

  test('refuses an SSID over 32 bytes', async () => {
    const api = await testApi();
    const response = await api.app.inject({ method: 'DELETE', url: `/ssid-alerts/${'x'.repeat(33)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_SSID');
  });
});

describe('with an API token', () => {
  test.each([
    ['no Authorization header', undefined, 'this route needs Authorization: Bearer <token>'],
    ['a wrong token', 'Bearer wrong', 'the bearer token is wrong'],
    ['another scheme', `Basic ${TOKEN}`, 'this route needs Authorization: Bearer <token>'],
    ['a token that only starts right', `Bearer ${TOKEN.slice(0, 10)}`, 'the bearer token is wrong'],
  ])('refuses a write with %s: 401 and WWW-Authenticate', async (_what, authorization, message) => {
    const api = await testApi({ apiToken: TOKEN });
    for (const method of ['PUT', 'DELETE'] as const) {
      const response = await api.app.inject({
        method,
        url: '/ssid-alerts/x',
        headers: authorization === undefined ? json : { ...json, authorization },
        ...(method === 'PUT' ? { payload: { reason: 'r' } } : {}),
      });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="probestream"');
      expect(response.json()).toEqual({ error: { code: 'UNAUTHORIZED', message } });
    }
    expect(api.alertList.writes).toEqual([]);
  });

  test('takes writes with the token, the scheme in any case', async () => {
    const api = await testApi({ apiToken: TOKEN });
    const put = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: authorized,
      payload: { reason: 'r' },
    });
    expect(put.statusCode).toBe(200);
    const del = await api.app.inject({
      method: 'DELETE',
      url: '/ssid-alerts/x',
      headers: { authorization: `bearer ${TOKEN}` },
    });
    expect(del.statusCode).toBe(204);
    expect(api.alertList.writes).toHaveLength(2);
  });

  test('leaves reads open', async () => {
    const api = await testApi({ apiToken: TOKEN });
    expect((await api.app.inject({ url: '/ssid-alerts' })).statusCode).toBe(200);
  });

  test('checks the token before reading the body', async () => {
    const api = await testApi({ apiToken: TOKEN });
    const response = await api.app.inject({
      method: 'PUT',
      url: '/ssid-alerts/x',
      headers: json,
      payload: '{oops',
    });
    expect(response.statusCode).toBe(401);
  });
});
