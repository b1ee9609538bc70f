import { describe, expect, test } from 'vitest';
import { STORES } from '../../src/probes/schemas.js';
import { MAC, STATS, STATS_VIEW, testApi } from './fakes.js';

const TOKEN = 'correct horse battery staple';
const authorized = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
const OTHER = '02:0e:d9:f8:53:b6';

describe('deviceName in answers by MAC', () => {
  test("a device's figures name it when the devices table knows its MAC", async () => {
    const api = await testApi();
    api.router.put(STORES.statsByMac, MAC, STATS);
    api.deviceNames.add(MAC, '<b>Kitchen</b> iPad');
    const response = await api.app.inject({ url: `/devices/${MAC.toUpperCase()}/stats` });
    expect(response.json()).toEqual({ mac: MAC, deviceName: '<b>Kitchen</b> iPad', ...STATS_VIEW });
  });

  test('a page of devices names each one it can, and says null for the others', async () => {
    const api = await testApi();
    api.router.put(STORES.statsByMac, MAC, STATS).put(STORES.statsByMac, OTHER, STATS);
    api.deviceNames.add(MAC, 'Kitchen iPad');
    const response = await api.app.inject({ url: '/devices' });
    expect(
      response.json().devices.map((d: { mac: string; deviceName: string | null }) => [d.mac, d.deviceName]),
    ).toEqual([
      [OTHER, null],
      [MAC, 'Kitchen iPad'],
    ]);
  });
});

describe('GET /devices/by-name/:name/stats, as people type names', () => {
  test('finds a name whatever its case, accents and blanks, and says which name it matched', async () => {
    const api = await testApi();
    api.deviceNames.add(MAC, 'Café  Kitchen iPad');
    api.router.put(STORES.statsByName, 'Café  Kitchen iPad', STATS);
    const response = await api.app.inject({
      url: `/devices/by-name/${encodeURIComponent('cafe kitchen IPAD')}/stats`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      name: 'Café  Kitchen iPad',
      matchedNames: ['Café  Kitchen iPad'],
      ...STATS_VIEW,
    });
  });

  test('adds up the figures of every name that reads the same', async () => {
    const api = await testApi();
    api.deviceNames.add(MAC, 'Hall TV').add(OTHER, 'hall tv');
    api.router.put(STORES.statsByName, 'Hall TV', STATS);
    api.router.put(STORES.statsByName, 'hall tv', {
      probeCount: 2,
      firstProbe: Date.UTC(2020, 0, 1),
      lastProbe: Date.UTC(2021, 0, 1),
      ssidsProbed: ['Abc', 'RNM0'],
    });
    const response = await api.app.inject({ url: '/devices/by-name/HALL%20TV/stats' });
    expect(response.json()).toEqual({
      name: 'Hall TV',
      matchedNames: ['Hall TV', 'hall tv'],
      probeCount: 5,
      firstProbe: '2020-01-01T00:00:00.000Z',
      lastProbe: '2021-01-01T00:00:00.000Z',
      uniqueSsidsProbed: 4,
      ssidsProbed: [null, '', 'Abc', 'RNM0'],
    });
  });

  test('answers the exact name as before, without matchedNames', async () => {
    const api = await testApi();
    api.router.put(STORES.statsByName, 'Hall TV', STATS);
    const response = await api.app.inject({ url: '/devices/by-name/Hall%20TV/stats' });
    expect(response.json()).toEqual({ name: 'Hall TV', ...STATS_VIEW });
  });

  test('suggests up to 5 close names in the 404 when nothing matches', async () => {
    const api = await testApi();
    api.deviceNames
      .add(MAC, 'Samsung A53 (Galaxy-A53)')
      .add(OTHER, 'Garage door')
      .add('00:00:00:00:00:01', 'Kitchen iPad');
    const response = await api.app.inject({ url: '/devices/by-name/Samsung%20A53/stats' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: {
        code: 'DEVICE_NOT_FOUND',
        message:
          'no probe request from a device of this name has been counted; did you mean "Samsung A53 (Galaxy-A53)"?',
        suggestions: [{ name: 'Samsung A53 (Galaxy-A53)', macs: [MAC] }],
      },
    });
    const typo = await api.app.inject({ url: '/devices/by-name/Kitchn%20ipad/stats' });
    expect(typo.json().error.suggestions).toEqual([{ name: 'Kitchen iPad', macs: ['00:00:00:00:00:01'] }]);
    const none = await api.app.inject({ url: '/devices/by-name/zzzz/stats' });
    expect(none.json()).toEqual({
      error: {
        code: 'DEVICE_NOT_FOUND',
        message: 'no probe request from a device of this name has been counted',
        suggestions: [],
      },
    });
  });
});

describe('GET /names', () => {
  test('lists the known names with their MACs by prefix, ignoring case and accents, page by page', async () => {
    const api = await testApi();
    api.deviceNames
      .add(MAC, 'Émile’s phone')
      .add(OTHER, 'emma laptop')
      .add('00:00:00:00:00:01', 'Kitchen iPad')
      .add('00:00:00:00:00:02', 'Emma laptop');
    const first = await api.app.inject({ url: '/names?prefix=EM&limit=2' });
    expect(first.statusCode).toBe(200);
    expect(first.json().names).toEqual([
      { name: 'Émile’s phone', macs: [MAC] },
      { name: 'Emma laptop', macs: ['00:00:00:00:00:02'] },
    ]);
    const second = await api.app.inject({
      url: `/names?prefix=em&limit=2&cursor=${first.json().nextCursor}`,
    });
    expect(second.json()).toEqual({ names: [{ name: 'emma laptop', macs: [OTHER] }], nextCursor: null });
    const all = await api.app.inject({ url: '/names' });
    expect(all.json().names).toHaveLength(4);
  });

  test('refuses a limit out of range and a made-up cursor', async () => {
    const api = await testApi();
    expect((await api.app.inject({ url: '/names?limit=0' })).json().error.code).toBe('INVALID_REQUEST');
    expect((await api.app.inject({ url: '/names?cursor=%2F%2F' })).json().error.code).toBe('INVALID_CURSOR');
  });
});

describe('PUT and DELETE /devices/:mac/name', () => {
  test('names a device by hand, with the token, and answers the record written', async () => {
    const api = await testApi({ apiToken: TOKEN });
    const response = await api.app.inject({
      method: 'PUT',
      url: '/devices/A4-83-E7-4E-39-15/name',
      headers: authorized,
      payload: { name: 'Guest tablet', isGuest: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ mac: MAC, name: 'Guest tablet', source: 'manual', isGuest: true });
    expect(api.deviceNames.writes).toEqual([{ op: 'set', mac: MAC, name: 'Guest tablet', isGuest: true }]);
  });

  test('refuses a write without the token, a bad MAC and a name a person could not have meant', async () => {
    const api = await testApi({ apiToken: TOKEN });
    const put = (url: string, payload: unknown, headers: Record<string, string> = authorized) =>
      api.app.inject({ method: 'PUT', url, headers, payload: payload as object });
    expect(
      (await put(`/devices/${MAC}/name`, { name: 'x' }, { 'content-type': 'application/json' })).statusCode,
    ).toBe(401);
    expect((await put('/devices/nope/name', { name: 'x' })).json().error.code).toBe('INVALID_MAC');
    expect((await put(`/devices/${MAC}/name`, { name: 'two\nlines' })).json()).toEqual({
      error: {
        code: 'INVALID_NAME',
        message: 'a device name cannot hold control characters (such as line breaks)',
      },
    });
    expect((await put(`/devices/${MAC}/name`, { name: '   ' })).json()).toEqual({
      error: { code: 'INVALID_NAME', message: 'a device name cannot be empty or blank' },
    });
    expect((await put(`/devices/${MAC}/name`, { name: 'x'.repeat(257) })).json().error.code).toBe(
      'INVALID_REQUEST',
    );
    expect(api.deviceNames.writes).toEqual([]);
  });

  test('removes a device from the table with a 204', async () => {
    const api = await testApi({ apiToken: TOKEN });
    api.deviceNames.add(MAC, 'Kitchen iPad');
    const response = await api.app.inject({
      method: 'DELETE',
      url: `/devices/${MAC}/name`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(204);
    expect(api.deviceNames.writes).toEqual([{ op: 'remove', mac: MAC }]);
  });
});
