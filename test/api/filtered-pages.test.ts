import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { DEVICE_FILTER, deviceFilter } from '../../src/api/device-listing.js';
import {
  ApiError,
  createApiServer,
  type ProbeEvent,
  PushHub,
  type QueryableStreams,
  registerInternalRoutes,
  StoreRouter,
} from '../../src/api/index.js';
import { type Alert, type ProbeStats, STORES } from '../../src/probes/schemas.js';
import type { KeyValue } from '../../src/stores/index.js';
import type { ActiveEntries, StreamsMetadata } from '../../src/topology/index.js';
import { FakeAlertList } from './fakes.js';

const STORE = STORES.statsByMac;
const stats = (ssids: string[]): ProbeStats => ({
  probeCount: 1,
  firstProbe: 0,
  lastProbe: 0,
  ssidsProbed: ssids,
});

/** An engine holding some partitions of the store, which it hands over at once (as WorkerStreams' mirror). */
class PartitionedStreams implements QueryableStreams {
  readonly entries = new Map<string, ProbeStats>();
  partitions: number[] = [];
  clients: StreamsMetadata[] = [];
  listed = 0;

  activeEntries<K, V>(): ActiveEntries<K, V> {
    // In no particular order: the router sorts what it keeps.
    const entries = [...this.entries].reverse().map(([key, value]) => ({ key, value }));
    return { partitions: this.partitions, partitionCount: 4, entries: entries as KeyValue<K, V>[] };
  }

  localEntries<K, V>(): AsyncIterable<KeyValue<K, V>> {
    this.listed++;
    throw new Error('a filtered page reads the active copies, not the listing');
  }

  queryLocal(): never {
    throw new Error('not asked');
  }

  queryMetadataForKey(): never {
    throw new Error('not asked');
  }

  metadataForAllStreamsClients(): readonly StreamsMetadata[] {
    return this.clients;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function instance(): Promise<{ router: StoreRouter; streams: PartitionedStreams; address: string }> {
  const streams = new PartitionedStreams();
  let router: StoreRouter | undefined;
  const routes = new Proxy({} as StoreRouter, {
    get: (_, property) => {
      const value = Reflect.get(router as StoreRouter, property, router);
      return typeof value === 'function' ? value.bind(router) : value;
    },
  });
  const app = await createApiServer({
    router: routes,
    alertList: new FakeAlertList(),
    pushSources: { alerts: new PushHub<Alert>(), probes: new PushHub<ProbeEvent>() },
    isReady: () => true,
    instanceName: '127.0.0.1:0',
    rateLimit: false,
    registerRoutes: (app) => registerInternalRoutes(app, routes, () => true),
  });
  cleanups.push(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  router = new StoreRouter({ streams, self: address, isReady: () => true });
  router.defineFilter(
    DEVICE_FILTER,
    deviceFilter(() => null),
  );
  return { router, streams, address };
}

const member = (host: string): StreamsMetadata => ({
  memberId: host,
  hostInfo: host,
  activeTasks: [],
  standbyTasks: [],
  stateStoreNames: [STORE],
  topicPartitions: [],
});

describe('StoreRouter.page with a filter', { timeout: 20_000 }, () => {
  async function twoInstances() {
    const [a, b] = [await instance(), await instance()];
    for (const one of [a, b]) one.streams.clients = [member(a.address), member(b.address)];
    a.streams.partitions = [0, 2];
    b.streams.partitions = [1, 3];
    for (const mac of ['m1', 'm4', 'm5', 'm8'])
      a.streams.entries.set(mac, stats(mac === 'm5' ? [] : ['Casa']));
    for (const mac of ['m2', 'm3', 'm6', 'm7'])
      b.streams.entries.set(mac, stats(mac === 'm2' ? [] : ['Casa']));
    return [a, b] as const;
  }
  const casa = { name: DEVICE_FILTER, args: { ssid: 'Casa' } };

  test('has every instance filter its own entries, and pages through the matches in key order', async () => {
    const [a, b] = await twoInstances();
    const first = await a.router.page<ProbeStats>(STORE, { limit: 3, filter: casa });
    expect(first.entries.map((e) => e.key)).toEqual(['m1', 'm3', 'm4']);
    expect(first.next).toBe('m4');
    const second = await b.router.page<ProbeStats>(STORE, { limit: 3, after: 'm4', filter: casa });
    expect(second).toEqual({
      entries: ['m6', 'm7', 'm8'].map((key) => ({ key, value: stats(['Casa']) })),
      next: null,
    });
    expect(a.streams.listed + b.streams.listed).toBe(0);
  });

  test('refuses with SERVICE_UNAVAILABLE when the instances do not cover each partition once', async () => {
    const [a, b] = await twoInstances();
    b.streams.partitions = [1, 2];
    await expect(a.router.page(STORE, { limit: 3, filter: casa })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    b.streams.partitions = [1];
    const error = await a.router.page(STORE, { limit: 3, filter: casa }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('SERVICE_UNAVAILABLE');
  });

  test('refuses a filter no instance defined, and a malformed one, as a bad request', async () => {
    const [a, b] = await twoInstances();
    await expect(
      a.router.page(STORE, { limit: 3, filter: { name: 'nope', args: {} } }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const response = await fetch(`http://${b.address}/internal/stores/${STORE}/entries?limit=3&filter=%7B`);
    expect(response.status).toBe(400);
  });
});
