import SwaggerParser from '@apidevtools/swagger-parser';
import { Counter, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { MAC, testApi } from './fakes.js';

describe('health and readiness', () => {
  test('GET /healthz answers ok', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz answers ready only when the stores are restored, else 503 with Retry-After', async () => {
    const api = await testApi();
    api.ready = false;
    const restoring = await api.app.inject({ url: '/readyz' });
    expect(restoring.statusCode).toBe(503);
    expect(restoring.headers['retry-after']).toBe('5');
    expect(restoring.json()).toEqual({
      error: { code: 'NOT_READY', message: 'the instance is restoring its stores' },
    });
    api.ready = true;
    const ready = await api.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });
});

describe('GET /metrics', () => {
  test('serves process, HTTP and engine metrics, engine labels kept, routes as patterns', async () => {
    const engine = new Registry();
    engine.setDefaultLabels({ application_id: 'probes-test' });
    const commits = new Counter({ name: 'probestream_commits_total', help: 'Commits', registers: [engine] });
    commits.inc(3);
    const api = await testApi({ metricsRegistries: [engine] });
    await api.app.inject({ url: `/devices/${MAC}/stats` });
    await api.app.inject({ url: '/devices/A4-83-E7-4E-39-16/stats' });
    const response = await api.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = response.body;
    expect(text).toContain('probestream_commits_total{application_id="probes-test"} 3');
    expect(text).toContain(
      'probestream_http_requests_total{method="GET",route="/devices/:mac/stats",status="404"} 2',
    );
    expect(text).toContain('# TYPE probestream_http_request_duration_seconds histogram');
    expect(text).toContain('probestream_process_cpu_user_seconds_total');
    expect(text).not.toContain(MAC);
    // One HELP line per metric: an exposition Prometheus accepts.
    const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);
  });

  test('refuses registries that would serve one metric twice', async () => {
    const a = new Registry();
    const b = new Registry();
    for (const registers of [[a], [b]])
      new Counter({ name: 'probestream_twice_total', help: 'x', registers });
    await expect(testApi({ metricsRegistries: [a, b] })).rejects.toThrow(
      'the metric probestream_twice_total is in two of the registries to serve',
    );
  });

  test('several servers in one process each have their own process metrics', async () => {
    const first = await testApi();
    const second = await testApi();
    for (const api of [first, second]) {
      expect((await api.app.inject({ url: '/metrics' })).body).toContain(
        'probestream_process_resident_memory_bytes',
      );
    }
  });
});

describe('GET /docs/json', () => {
  test('is a valid OpenAPI 3 document of every public route', async () => {
    const api = await testApi({ apiToken: 'token' });
    const response = await api.app.inject({ url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.0.3');
    await SwaggerParser.validate(structuredClone(document));
    expect(Object.keys(document.paths).sort()).toEqual([
      '/alerts/stream',
      '/devices',
      '/devices/by-name/{name}/stats',
      '/devices/{mac}/name',
      '/devices/{mac}/stats',
      '/healthz',
      '/metrics',
      '/names',
      '/probes/stream',
      '/readyz',
      '/ssid-alerts',
      '/ssid-alerts/{ssid}',
    ]);
    expect(document.paths['/ssid-alerts/{ssid}'].put.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/devices/{mac}/name'].put.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/devices/{mac}/name'].delete.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(document.paths['/ssid-alerts/{ssid}'].put.responses).sort()).toEqual(
      ['200', '400', '401', '413', '415', '429', '500', '503'].sort(),
    );
    expect(document.paths['/devices/{mac}/stats'].get.responses['404'].description).toContain(
      'DEVICE_NOT_FOUND',
    );
  });
});
