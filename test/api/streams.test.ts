import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { ApiError, type PushSource } from '../../src/api/index.js';
import type { Alert } from '../../src/probes/schemas.js';
import { openSse } from '../support/sse-client.js';
import { MAC, testApi } from './fakes.js';

const alert = (ssid: string): Alert => ({
  ts: '2020-04-22T14:05:40.123Z',
  mac: MAC,
  ssid,
  reason: 'bait',
  deviceName: null,
});

async function listening(api: Awaited<ReturnType<typeof testApi>>): Promise<string> {
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = api.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Resolves once the hub has `count` subscribers (the route subscribes before it answers). */
async function subscribers(hub: { size: number }, count: number): Promise<void> {
  while (hub.size < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('GET /alerts/stream', () => {
  test('delivers an alert published after the client connected, as an SSE event of JSON', async () => {
    const api = await testApi();
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-cache');
    expect(stream.headers['x-probestream-served-by']).toBe('127.0.0.1:9001');
    api.alerts.publish(alert('RNM0'));
    api.alerts.publish(alert('line\nbreak'));
    expect(await stream.next()).toEqual({ id: '1', event: 'alert', data: JSON.stringify(alert('RNM0')) });
    const second = await stream.next();
    expect(second.id).toBe('2');
    expect(JSON.parse(second.data)).toEqual(alert('line\nbreak'));
    stream.close();
  });

  test('sends only the alerts of the SSID asked for', async () => {
    const api = await testApi();
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream?ssid=${encodeURIComponent('Free Wi-Fi')}`);
    api.alerts.publish(alert('RNM0'));
    api.alerts.publish(alert('Free Wi-Fi'));
    const event = await stream.next();
    expect(JSON.parse(event.data).ssid).toBe('Free Wi-Fi');
    expect(event.id).toBe('1');
    stream.close();
  });

  test('unsubscribes when the client goes away', async () => {
    const api = await testApi();
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream`);
    expect(api.alerts.size).toBe(1);
    stream.close();
    for (let i = 0; i < 100 && api.alerts.size > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(api.alerts.size).toBe(0);
  });

  test('sends heartbeat comments', async () => {
    const api = await testApi({ heartbeatMs: 20 });
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stream.comments).toContain('heartbeat');
    stream.close();
  });

  test('ends open streams when the server closes', async () => {
    const api = await testApi();
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream`);
    await api.app.close();
    await stream.ended;
    expect(api.alerts.size).toBe(0);
  });

  test('ends the stream when the source stops', async () => {
    const api = await testApi();
    const base = await listening(api);
    const stream = await openSse(`${base}/alerts/stream`);
    api.alerts.end(new Error('consumer crashed'));
    await stream.ended;
  });

  test('answers 400 INVALID_SSID for an SSID filter over 32 bytes', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: `/alerts/stream?ssid=${'x'.repeat(33)}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_SSID');
  });

  test('answers 503 in JSON when the source cannot start', async () => {
    const failing: PushSource<Alert> = {
      subscribe: async () => {
        throw new ApiError('SERVICE_UNAVAILABLE', 'Kafka is unreachable', { retryAfterSeconds: 3 });
      },
    };
    const api = await testApi();
    const broken = await testApi({ pushSources: { alerts: failing, probes: api.probes } });
    const response = await broken.app.inject({ url: '/alerts/stream' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json()).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: 'Kafka is unreachable' },
    });
  });
});

describe('GET /probes/stream', () => {
  test('delivers probe requests with ISO times, filtered by SSID', async () => {
    const api = await testApi();
    const base = await listening(api);
    const all = await openSse(`${base}/probes/stream`);
    const rnm0 = await openSse(`${base}/probes/stream?ssid=RNM0`);
    await subscribers(api.probes, 2);
    const probe = { timestamp: Date.UTC(2020, 3, 22, 14, 5, 40, 123), mac: MAC, ssid: null, signalDbm: -67 };
    api.probes.publish(probe);
    api.probes.publish({ ...probe, ssid: 'RNM0' });
    expect(await all.next()).toEqual({
      id: '1',
      event: 'probe',
      data: JSON.stringify({ timestamp: '2020-04-22T14:05:40.123Z', mac: MAC, ssid: null, signalDbm: -67 }),
    });
    expect(JSON.parse((await all.next()).data).ssid).toBe('RNM0');
    const filtered = await rnm0.next();
    expect(filtered.id).toBe('1');
    expect(JSON.parse(filtered.data)).toEqual({
      timestamp: '2020-04-22T14:05:40.123Z',
      mac: MAC,
      ssid: 'RNM0',
      signalDbm: -67,
    });
    all.close();
    rnm0.close();
  });
});

test('an SSE client that vanished before the stream opened leaves no subscription behind', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const api = await testApi();
  let unsubscribed = false;
  const slow: PushSource<Alert> = {
    subscribe: async () => {
      await gate;
      return () => {
        unsubscribed = true;
      };
    },
  };
  const slowApi = await testApi({ pushSources: { alerts: slow, probes: api.probes } });
  const base = await listening(slowApi);
  const req = request(`${base}/alerts/stream`);
  req.on('error', () => {});
  req.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  for (let i = 0; i < 100 && !unsubscribed; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(unsubscribed).toBe(true);
});
