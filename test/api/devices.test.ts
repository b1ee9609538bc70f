import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/api/index.js';
import { STORES } from '../../src/probes/schemas.js';
import { MAC, STATS, STATS_VIEW, testApi } from './fakes.js';

const JSON_TYPE = 'application/json; charset=utf-8';

describe('GET /devices/:mac/stats', () => {
  test("answers a device's figures with ISO-8601 times, null SSIDs kept, and who served it", async () => {
    const api = await testApi();
    api.router.put(STORES.statsByMac, MAC, STATS);
    const response = await api.app.inject({ url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
    expect(response.headers['x-probestream-stale-lag']).toBeUndefined();
    expect(response.json()).toEqual({ mac: MAC, deviceName: null, ...STATS_VIEW });
  });

  test.each(['A4:83:E7:4E:39:15', 'a4-83-e7-4e-39-15', 'A4-83-E7-4E-39-15', 'a483e74e3915'])(
    'accepts the MAC %s and answers it lower-case with colons',
    async (mac) => {
      const api = await testApi();
      api.router.put(STORES.statsByMac, MAC, STATS);
      const response = await api.app.inject({ url: `/devices/${encodeURIComponent(mac)}/stats` });
      expect(response.statusCode).toBe(200);
      expect(response.json().mac).toBe(MAC);
    },
  );

  test.each([
    'a4:83:e7:4e:39',
    'a4:83:e7:4e:39:15:00',
    'g4:83:e7:4e:39:15',
    'a4.83.e7.4e.39.15',
    'a4:83:e7:4e:39:1',
    'not-a-mac',
  ])('refuses the malformed MAC %s with INVALID_MAC', async (mac) => {
    const api = await testApi();
    const response = await api.app.inject({ url: `/devices/${encodeURIComponent(mac)}/stats` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'INVALID_MAC',
        message: "the MAC must be six hex pairs, separated by ':' or '-' or not at all",
      },
    });
  });

  test('answers an unknown device with 404 DEVICE_NOT_FOUND', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/devices/A4-83-E7-4E-39-16/stats' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: {
        code: 'DEVICE_NOT_FOUND',
        message: 'no probe request from a4:83:e7:4e:39:16 has been counted',
      },
    });
  });

  test('names the instance that answered and how far behind a standby copy was', async () => {
    const api = await testApi();
    api.router.put(STORES.statsByMac, MAC, STATS);
    api.router.answeredBy.set(MAC, { servedBy: '10.0.0.7:8080', staleLag: 42 });
    const response = await api.app.inject({ url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-probestream-served-by']).toBe('10.0.0.7:8080');
    expect(response.headers['x-probestream-stale-lag']).toBe('42');
  });

  test('answers 503 with Retry-After when no copy can answer', async () => {
    const api = await testApi();
    api.router.fail = new ApiError('SERVICE_UNAVAILABLE', 'partition 3 of pcap-stats is restoring', {
      retryAfterSeconds: 2,
    });
    const response = await api.app.inject({ url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json()).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'partition 3 of pcap-stats is restoring' },
    });
  });

  test('answers 502 when the owning instance failed', async () => {
    const api = await testApi();
    api.router.fail = new ApiError('UPSTREAM_FAILED', 'the owner answered 500');
    const response = await api.app.inject({ url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('UPSTREAM_FAILED');
  });

  test('answers an unexpected failure with 500 INTERNAL and not a word of it', async () => {
    const api = await testApi();
    api.router.fail = new Error('LevelDB at /var/lib/probestream/secret-path is corrupt');
    const response = await api.app.inject({ url: `/devices/${MAC}/stats` });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(response.body).not.toContain('secret-path');
    expect(response.body).not.toContain('at ');
  });
});

describe('GET /devices/by-name/:name/stats', () => {
  test('answers the figures of a name', async () => {
    const api = await testApi();
    api.router.put(STORES.statsByName, "Dave's iPhone", STATS);
    const response = await api.app.inject({
      url: `/devices/by-name/${encodeURIComponent("Dave's iPhone")}/stats`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
    expect(response.json()).toEqual({ name: "Dave's iPhone", ...STATS_VIEW });
  });

  test('answers an unknown name with 404 DEVICE_NOT_FOUND', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/devices/by-name/nobody/stats' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('DEVICE_NOT_FOUND');
  });

  test('accepts a name of 256 characters and refuses one of 257', async () => {
    const api = await testApi();
    const name = 'é'.repeat(256);
    api.router.put(STORES.statsByName, name, STATS);
    const ok = await api.app.inject({ url: `/devices/by-name/${encodeURIComponent(name)}/stats` });
    expect(ok.statusCode).toBe(200);
    const tooLong = await api.app.inject({ url: `/devices/by-name/${encodeURIComponent(`${name}é`)}/stats` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'params/name must NOT have more than 256 characters' },
    });
  });
});

describe('GET /devices', () => {
  const macs = Array.from({ length: 5 }, (_, i) => `00:00:00:00:00:0${i}`);

  test('pages through every device with opaque cursors', async () => {
    const api = await testApi();
    for (const mac of [...macs].reverse()) api.router.put(STORES.statsByMac, mac, STATS);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const response = await api.app.inject({ url: `/devices${query}` });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      for (const device of body.devices) {
        expect(device).toEqual({ mac: device.mac, deviceName: null, ...STATS_VIEW });
        seen.push(device.mac);
      }
      cursor = body.nextCursor;
      if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      pages += 1;
    } while (cursor !== null);
    expect(seen).toEqual(macs);
    expect(pages).toBe(3);
    expect(api.router.pageCalls.map((call) => call.after)).toEqual([undefined, macs[1], macs[3]]);
  });

  test('asks for 100 devices when no limit is given', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/devices' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ devices: [], nextCursor: null });
    expect(api.router.pageCalls).toEqual([{ store: STORES.statsByMac, limit: 100 }]);
  });

  test.each([
    ['0', 'querystring/limit must be >= 1'],
    ['1001', 'querystring/limit must be <= 1000'],
    ['ten', 'querystring/limit must be integer'],
  ])('refuses limit=%s with INVALID_REQUEST', async (limit, message) => {
    const api = await testApi();
    const response = await api.app.inject({ url: `/devices?limit=${limit}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'INVALID_REQUEST', message } });
  });

  test.each([
    ['not base64url', '%25%25'],
    ['a non-canonical encoding', 'YR'],
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe]).toString('base64url')],
    ['an empty cursor', ''],
    ['a cursor too long', 'A'.repeat(2049)],
  ])('refuses %s with INVALID_CURSOR', async (_what, cursor) => {
    const api = await testApi();
    const response = await api.app.inject({ url: `/devices?cursor=${cursor}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'INVALID_CURSOR', message: 'the cursor is not one this API returned' },
    });
  });
});

describe('GET /devices, filtered and sorted', () => {
  const T = 1_587_564_340_123;
  const stats = (count: number, last: number, ssids: string[]) => ({
    probeCount: count,
    firstProbe: T,
    lastProbe: T + last,
    ssidsProbed: ssids,
  });

  async function listing() {
    const api = await testApi();
    api.router.put(STORES.statsByMac, '00:00:00:00:00:01', stats(5, 300, ['Casa Vigo']));
    api.router.put(STORES.statsByMac, '00:00:00:00:00:02', stats(9, 100, ['', 'Casa Vigo']));
    api.router.put(STORES.statsByMac, '00:00:00:00:00:03', stats(1, 200, ['other']));
    api.router.put(STORES.statsByMac, '00:00:00:00:00:04', stats(9, 400, ['Casa Vigo']));
    api.deviceNames.add('00:00:00:00:00:02', 'Café iPad').add('00:00:00:00:00:03', 'Kitchen');
    return api;
  }
  const macs = async (api: Awaited<ReturnType<typeof listing>>, query: string) => {
    const response = await api.app.inject({ url: `/devices?${query}` });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    return { macs: body.devices.map((d: { mac: string }) => d.mac.slice(-2)), next: body.nextCursor, body };
  };

  test('keeps the devices that probed an SSID, have a name, or were heard since a time', async () => {
    const api = await listing();
    expect((await macs(api, `ssid=${encodeURIComponent('Casa Vigo')}`)).macs).toEqual(['01', '02', '04']);
    expect((await macs(api, 'name=cafe')).macs).toEqual(['02']);
    const since = new Date(T + 250).toISOString();
    expect((await macs(api, `since=${since}&ssid=${encodeURIComponent('Casa Vigo')}`)).macs).toEqual([
      '01',
      '04',
    ]);
    const named = await macs(api, 'name=KITCH');
    expect(named.body.devices[0]).toMatchObject({
      mac: '00:00:00:00:00:03',
      deviceName: 'Kitchen',
      probeCount: 1,
    });
  });

  test('pages a filtered listing by MAC with the cursor', async () => {
    const api = await listing();
    const first = await macs(api, `ssid=${encodeURIComponent('Casa Vigo')}&limit=2`);
    expect(first.macs).toEqual(['01', '02']);
    const second = await macs(api, `ssid=${encodeURIComponent('Casa Vigo')}&limit=2&cursor=${first.next}`);
    expect(second).toMatchObject({ macs: ['04'], next: null });
  });

  test('sorts by probe count or last probe, either way, ties by MAC, and pages the sorted order', async () => {
    const api = await listing();
    expect((await macs(api, 'sort=probeCount&order=desc')).macs).toEqual(['02', '04', '01', '03']);
    expect((await macs(api, 'sort=lastProbe')).macs).toEqual(['02', '03', '01', '04']);
    expect((await macs(api, 'order=desc')).macs).toEqual(['04', '03', '02', '01']);
    const first = await macs(api, 'sort=probeCount&order=desc&limit=3');
    expect(first.macs).toEqual(['02', '04', '01']);
    const second = await macs(api, `sort=probeCount&order=desc&limit=3&cursor=${first.next}`);
    expect(second).toMatchObject({ macs: ['03'], next: null });
  });

  test.each([
    ['since=yesterday', 'since is a time: ISO-8601 (2020-04-22T14:05:40Z) or epoch milliseconds'],
    ['sort=name', 'querystring/sort must be equal to one of the allowed values'],
    ['order=up', 'querystring/order must be equal to one of the allowed values'],
    [`ssid=${'x'.repeat(33)}`, 'querystring/ssid must NOT have more than 32 characters'],
  ])('refuses %s with INVALID_REQUEST', async (query, message) => {
    const api = await listing();
    const response = await api.app.inject({ url: `/devices?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'INVALID_REQUEST', message } });
  });
});
