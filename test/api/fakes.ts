import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import type { DeviceNames } from '../../src/api/device-names.js';
import {
  type AlertListWriter,
  type ApiServerOptions,
  createApiServer,
  PushHub,
} from '../../src/api/index.js';
import type { ProbeEvent } from '../../src/api/push.js';
import type { KeyRouter, RoutedAnswer, RoutedPage } from '../../src/api/routing.js';
import { manualDevice } from '../../src/probes/device-writer.js';
import { NameIndex } from '../../src/probes/names.js';
import type { Alert, DeviceRecord } from '../../src/probes/schemas.js';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** An in-memory KeyRouter: each store a map; `fail` makes the next calls throw. */
export class FakeRouter implements KeyRouter {
  readonly self = '127.0.0.1:9001';
  readonly stores = new Map<string, Map<string, unknown>>();
  /** What get() says about who answered, by key. */
  readonly answeredBy = new Map<string, { servedBy: string; staleLag?: number }>();
  readonly pageCalls: { store: string; limit: number; after?: string }[] = [];
  fail: Error | undefined;

  put(store: string, key: string, value: unknown): this {
    let entries = this.stores.get(store);
    if (!entries) {
      entries = new Map();
      this.stores.set(store, entries);
    }
    entries.set(key, value);
    return this;
  }

  async get<V>(store: string, key: string): Promise<RoutedAnswer<V>> {
    if (this.fail) throw this.fail;
    const value = this.stores.get(store)?.get(key) as V | undefined;
    return { value, servedBy: this.self, ...this.answeredBy.get(key) };
  }

  async page<V>(
    store: string,
    options: { readonly limit: number; readonly after?: string },
  ): Promise<RoutedPage<V>> {
    if (this.fail) throw this.fail;
    this.pageCalls.push({ store, ...options });
    const keys = [...(this.stores.get(store)?.keys() ?? [])].sort(utf8Order);
    const after = options.after;
    const rest = after === undefined ? keys : keys.filter((key) => utf8Order(key, after) > 0);
    const taken = rest.slice(0, options.limit);
    const entries = taken.map((key) => ({ key, value: this.stores.get(store)?.get(key) as V }));
    const last = taken.at(-1);
    return { entries, next: rest.length > options.limit && last !== undefined ? last : null };
  }
}

/** Records the alert list's writes. */
export class FakeAlertList implements AlertListWriter {
  readonly writes: { op: 'put' | 'delete'; ssid: string; reason?: string }[] = [];
  fail: Error | undefined;

  async put(ssid: string, reason: string): Promise<void> {
    if (this.fail) throw this.fail;
    this.writes.push({ op: 'put', ssid, reason });
  }

  async delete(ssid: string): Promise<void> {
    if (this.fail) throw this.fail;
    this.writes.push({ op: 'delete', ssid });
  }
}

/** A devices table in a map; writes recorded. */
export class FakeDeviceNames implements DeviceNames {
  readonly devices = new Map<string, DeviceRecord>();
  readonly writes: { op: 'set' | 'remove'; mac: string; name?: string; isGuest?: boolean }[] = [];

  add(mac: string, name: string | null, source: DeviceRecord['source'] = 'user'): this {
    this.devices.set(mac, { mac, source, name, ip: null, model: null, type: null, is_guest: false });
    return this;
  }

  get(mac: string): DeviceRecord | undefined {
    return this.devices.get(mac);
  }

  names(): NameIndex {
    return new NameIndex(this.devices.values());
  }

  async setName(mac: string, name: string, isGuest?: boolean): Promise<DeviceRecord> {
    this.writes.push({ op: 'set', mac, name, ...(isGuest === undefined ? {} : { isGuest }) });
    const record = manualDevice(mac, name, this.devices.get(mac), isGuest);
    this.devices.set(mac, record);
    return record;
  }

  async remove(mac: string): Promise<void> {
    this.writes.push({ op: 'remove', mac });
    this.devices.delete(mac);
  }
}

export interface TestApi {
  readonly app: FastifyInstance;
  readonly router: FakeRouter;
  readonly alertList: FakeAlertList;
  readonly deviceNames: FakeDeviceNames;
  readonly alerts: PushHub<Alert>;
  readonly probes: PushHub<ProbeEvent>;
  ready: boolean;
}

const opened: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

/** A server over fakes, closed after the test. */
export async function testApi(options: Partial<ApiServerOptions> = {}): Promise<TestApi> {
  const router = new FakeRouter();
  const alertList = new FakeAlertList();
  const deviceNames = new FakeDeviceNames();
  const alerts = new PushHub<Alert>();
  const probes = new PushHub<ProbeEvent>();
  const api = { router, alertList, deviceNames, alerts, probes, ready: true } as Omit<TestApi, 'app'> & {
    app?: FastifyInstance;
  };
  api.app = await createApiServer({
    router,
    alertList,
    deviceNames,
    pushSources: { alerts, probes },
    isReady: () => api.ready,
    instanceName: '127.0.0.1:9001',
    ...options,
  });
  opened.push(api.app);
  return api as TestApi;
}

export const MAC = 'a4:83:e7:4e:39:15';

export const STATS = Object.freeze({
  probeCount: 3,
  firstProbe: Date.UTC(2020, 3, 22, 14, 5, 40, 123),
  lastProbe: Date.UTC(2020, 3, 22, 15, 0, 0, 7),
  ssidsProbed: [null, '', 'RNM0'],
});

export const STATS_VIEW = Object.freeze({
  probeCount: 3,
  firstProbe: '2020-04-22T14:05:40.123Z',
  lastProbe: '2020-04-22T15:00:00.007Z',
  uniqueSsidsProbed: 3,
  ssidsProbed: [null, '', 'RNM0'],
});
