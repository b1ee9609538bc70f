import { describe, expect, test } from 'vitest';
import { CONSOLE_CSP } from '../../src/api/console.js';
import type { EngineSource } from '../../src/api/engine-view.js';
import { parsePrometheusText } from '../../src/api/prometheus-text.js';
import { freePort } from '../../src/local/ports.js';
import { testApi } from './fakes.js';

describe('the web console at /', () => {
  test('is served with a policy that allows only its own scripts and styles, and no HTML from strings', async () => {
    const api = await testApi();
    const response = await api.app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<script type="module" src="/console/app.js"></script>');
    const csp = response.headers['content-security-policy'];
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  test('serves its scripts, answers 304 to a current ETag, and 404 in JSON for any other name', async () => {
    const api = await testApi();
    const script = await api.app.inject({ url: '/console/app.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const again = await api.app.inject({
      url: '/console/app.js',
      headers: { 'if-none-match': String(script.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    for (const url of ['/console/nope.js', '/console/..%2Fpackage.json', '/console/']) {
      const response = await api.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe('NOT_FOUND');
    }
  });

  test('can be left out', async () => {
    const api = await testApi({ console: false });
    expect((await api.app.inject({ url: '/' })).statusCode).toBe(404);
  });
});

describe('Swagger UI at /docs', () => {
  test('serves its page and its scripts from the package', async () => {
    const api = await testApi();
    const page = await api.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui-bundle.js');
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
    const bundle = await api.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
  });
});

const METRICS = [
  '# HELP probestream_records_processed_total x',
  'probestream_records_processed_total{topic="pcap",application_id="app"} 40',
  'probestream_records_processed_total{topic="devices",application_id="app"} 2',
  'probestream_records_consumed_total{topic="pcap",application_id="app"} 43',
  'probestream_consumer_lag{topic="pcap",partition="1",application_id="app"} 5',
  'probestream_consumer_lag{topic="pcap",partition="0",application_id="app"} 7',
  'probestream_dlq_records_total{topic="pcap",code="DESERIALIZATION_FAILED",application_id="app"} 3',
  'probestream_restore_remaining_records{store="pcap-stats",task="1_0",application_id="app"} 11',
  'probestream_commits_total{application_id="app"} 9',
].join('\n');

function fakeEngine(self: string, other: string): EngineSource {
  return {
    state: 'RUNNING',
    isReady: () => false,
    localStoreLags: () => [
      { store: 'pcap-stats', partition: 0, role: 'standby', restoring: false, lag: undefined },
    ],
    metadataForAllStreamsClients: () => [
      {
        memberId: 'm-2',
        hostInfo: other,
        activeTasks: ['0_1'],
        standbyTasks: [],
        stateStoreNames: [],
        topicPartitions: [],
      },
      {
        memberId: 'm-1',
        hostInfo: self,
        activeTasks: ['0_0', '1_0'],
        standbyTasks: ['1_1'],
        stateStoreNames: [],
        topicPartitions: [
          { topic: 'pcap', partition: 1 },
          { topic: 'pcap', partition: 0 },
        ],
      },
    ],
    metrics: { registry: { metrics: async () => METRICS } },
  };
}

describe('GET /engine', () => {
  test("gathers every member of the group, this one's figures read from its metrics, one that is down marked so", async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const self = '127.0.0.1:9001';
    const api = await testApi({ engine: fakeEngine(self, down) });
    const response = await api.app.inject({ url: '/engine' });
    expect(response.statusCode).toBe(200);
    const instances = response.json().instances as { host: string }[];
    // Sorted by host.
    expect(instances.map((i) => i.host)).toEqual([self, down].sort());
    const first = instances.find((i) => i.host === self);
    const second = instances.find((i) => i.host === down) as unknown as { error: string };
    expect(first).toEqual({
      host: self,
      memberId: 'm-1',
      self: true,
      activeTasks: ['0_0', '1_0'],
      standbyTasks: ['1_1'],
      partitions: [
        { topic: 'pcap', partition: 0 },
        { topic: 'pcap', partition: 1 },
      ],
      status: {
        state: 'RUNNING',
        ready: false,
        stores: [{ store: 'pcap-stats', partition: 0, role: 'standby', restoring: false, lag: null }],
        consumerLag: [
          { topic: 'pcap', partition: 0, lag: 7 },
          { topic: 'pcap', partition: 1, lag: 5 },
        ],
        recordsConsumed: 43,
        recordsProcessed: 42,
        commits: 9,
        rebalances: 0,
        restoredRecords: 0,
        restoreRemaining: 11,
        deadLetters: [{ topic: 'pcap', code: 'DESERIALIZATION_FAILED', records: 3 }],
        sampledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      error: null,
    });
    expect(second).toMatchObject({ host: down, self: false, activeTasks: ['0_1'], status: null });
    expect(second.error).toMatch(/did not answer/);
  });

  test('is not served without an engine', async () => {
    const api = await testApi();
    expect((await api.app.inject({ url: '/engine' })).statusCode).toBe(404);
  });
});

test('parsePrometheusText reads labels with escaped quotes, backslashes and line breaks', () => {
  expect(parsePrometheusText('# TYPE a counter\na_total{x="q\\"b\\\\n\\n",y=""} 1.5\n\nb 2\n')).toEqual([
    { name: 'a_total', labels: { x: 'q"b\\n\n', y: '' }, value: 1.5 },
    { name: 'b', labels: {}, value: 2 },
  ]);
});
