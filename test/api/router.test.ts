import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import {
  ApiError,
  createApiServer,
  type ProbeEvent,
  PushHub,
  type QueryableStreams,
  registerInternalRoutes,
  StoreRouter,
  type StoreRouterOptions,
} from '../../src/api/index.js';
import { INTERNAL_PREFIX } from '../../src/api/router.js';
import { type Alert, STORES } from '../../src/probes/schemas.js';
import { type KeyValue, StoreError } from '../../src/stores/index.js';
import {
  type KeyQueryMetadata,
  type LocalEntriesOptions,
  type LocalQueryOptions,
  type LocalQueryResult,
  StreamsError,
  type StreamsMetadata,
} from '../../src/topology/index.js';
import { FakeAlertList, MAC, STATS, STATS_VIEW } from './fakes.js';

const STORE = STORES.statsByMac;
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

type Copy =
  | { readonly kind: 'active'; readonly partition: number; readonly value: unknown }
  | { readonly kind: 'stale'; readonly partition: number; readonly value: unknown; readonly lag: number };

/**
 * The engine's interactive-query surface over in-memory data: the copy kept here of each key's partition
 * (active or stale), the store's active entries, who owns each key, and which instances there are.
 */
class FakeStreams implements QueryableStreams {
  /** By key; a key not listed has no copy here (`not-local`). */
  readonly copies = new Map<string, Copy>();
  /** The active entries here, listed by localEntries. */
  readonly entries = new Map<string, unknown>();
  /** By key; a key not listed: no instance owns it now (the group is rebalancing). */
  readonly owners = new Map<string, KeyQueryMetadata>();
  clients: StreamsMetadata[] = [];
  running = true;
  /** When set, listing entries ends after this many as a rebalance closing a task would end it. */
  closeAfter: number | undefined;

  /** This instance runs the key's task; `value` undefined: the key is not in the store. */
  putActive(key: string, value: unknown, partition = 0): this {
    this.copies.set(key, { kind: 'active', partition, value });
    if (value !== undefined) this.entries.set(key, value);
    return this;
  }

  /** This instance keeps a standby or restoring copy of the key's task, `lag` records behind. */
  putStale(key: string, value: unknown, lag: number, partition = 0): this {
    this.copies.set(key, { kind: 'stale', partition, value, lag });
    return this;
  }

  own(key: string, activeHost: string | null, standbyHosts: string[] = [], partition = 0): this {
    this.owners.set(key, { activeHost, standbyHosts, partition });
    return this;
  }

  queryLocal<K, V>(store: string, key: K, options: LocalQueryOptions = {}): LocalQueryResult<V> {
    this.#check(store);
    const name = String(key);
    const copy = this.copies.get(name);
    const partition = copy?.partition ?? this.owners.get(name)?.partition ?? 0;
    if (copy === undefined) return { kind: 'unavailable', partition, reason: 'not-local' };
    if (copy.kind === 'active') return { kind: 'active', partition, value: copy.value as V | undefined };
    if (options.includeStale !== true) return { kind: 'unavailable', partition, reason: 'restoring' };
    return { kind: 'stale', partition, value: copy.value as V | undefined, lag: copy.lag };
  }

  queryMetadataForKey<K>(store: string, key: K): KeyQueryMetadata {
    this.#check(store);
    const name = String(key);
    return this.owners.get(name) ?? { activeHost: null, standbyHosts: [], partition: 0 };
  }

  metadataForAllStreamsClients(): readonly StreamsMetadata[] {
    return this.clients;
  }

  localEntries<K, V>(store: string, options: LocalEntriesOptions<K> = {}): AsyncIterable<KeyValue<K, V>> {
    this.#check(store);
    const from = options.from === undefined ? undefined : String(options.from);
    const keys = [...this.entries.keys()]
      .sort(utf8Order)
      .filter((key) => from === undefined || utf8Order(key, from) >= 0);
    const { entries, closeAfter } = this;
    return (async function* () {
      for (const [index, key] of keys.entries()) {
        if (index === closeAfter) throw new StoreError('STORE_NOT_OPEN', `store ${store} is not open`);
        yield { key: key as K, value: entries.get(key) as V };
      }
    })();
  }

  #check(store: string): void {
    if (!this.running) throw new StreamsError('INVALID_STATE_STORE', 'the instance has not started');
    if (store !== STORE) throw new StreamsError('INVALID_STATE_STORE', `the topology has no store ${store}`);
  }
}

function member(host: string | null): StreamsMetadata {
  return {
    memberId: `member-${host}`,
    hostInfo: host,
    activeTasks: [],
    standbyTasks: [],
    stateStoreNames: [STORE],
    topicPartitions: [],
  };
}

/** One instance: its engine fake, its router, and its API server listening on 127.0.0.1. */
interface Instance {
  /** host:port, the router's `self`. */
  readonly address: string;
  readonly streams: FakeStreams;
  readonly router: StoreRouter;
  readonly app: FastifyInstance;
  /** The internal routes' URLs this instance was asked, in order. */
  readonly requests: string[];
  ready: boolean;
  stop(): Promise<void>;
}

type RouterSettings = Partial<Pick<StoreRouterOptions, 'timeoutMs' | 'maxStaleLag' | 'retryAfterSeconds'>>;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/**
 * The router's `self` is its port, known only once its server listens, but the server's routes are
 * registered before that: they reach the router through this, once it exists.
 */
function lateBound<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get: (_, property) => {
      const bound = target();
      const value = Reflect.get(bound, property, bound);
      return typeof value === 'function' ? value.bind(bound) : value;
    },
  });
}

async function startInstance(settings: RouterSettings = {}): Promise<Instance> {
  const streams = new FakeStreams();
  const requests: string[] = [];
  let router: StoreRouter | undefined;
  const theRouter = () => {
    if (router === undefined) throw new Error('the instance is not listening yet');
    return router;
  };
  let instance: Instance | undefined;
  const isReady = () => instance?.ready ?? true;
  const app = await createApiServer({
    router: lateBound(theRouter),
    alertList: new FakeAlertList(),
    pushSources: { alerts: new PushHub<Alert>(), probes: new PushHub<ProbeEvent>() },
    isReady,
    instanceName: '127.0.0.1:0',
    rateLimit: false,
    registerRoutes: (app) => {
      app.addHook('onRequest', async (request) => {
        if (request.url.startsWith(INTERNAL_PREFIX)) requests.push(request.url);
      });
      registerInternalRoutes(app, lateBound(theRouter), isReady);
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  cleanups.push(stop);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  router = new StoreRouter({ streams, self: address, isReady, ...settings });
  instance = { address, streams, router, app, requests, ready: true, stop };
  return instance;
}

/** Starts the instances and tells each of them all of them, in this order. */
async function startCluster(count: 2, settings?: RouterSettings): Promise<[Instance, Instance]>;
async function startCluster(count: 3, settings?: RouterSettings): Promise<[Instance, Instance, Instance]>;
async function startCluster(count: number, settings: RouterSettings = {}): Promise<Instance[]> {
  const instances = await Promise.all(Array.from({ length: count }, () => startInstance(settings)));
  for (const instance of instances)
    instance.streams.clients = instances.map((other) => member(other.address));
  return instances;
}

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closing(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** A port that was free a moment ago and that nobody listens on: connections are refused. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  const address = await listening(server);
  await closing(server, new Set())();
  return address;
}

/** A TCP server that accepts connections, reads the request, and never answers. */
async function hangingAddress(): Promise<string> {
  return rawServer(() => {});
}

/** A server that answers 200 with JSON headers and the start of a body, then nothing more. */
async function stallingBodyAddress(): Promise<string> {
  return rawServer((socket) =>
    socket.write(
      'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"entries":[',
    ),
  );
}

async function rawServer(onRequest: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => onRequest(socket));
  });
  const address = await listening(server);
  cleanups.push(closing(server, sockets));
  return address;
}

const keyPath = (key: string) => `${INTERNAL_PREFIX}/${STORE}/keys/${encodeURIComponent(key)}`;

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

const OTHER_STATS = Object.freeze({ ...STATS, probeCount: 99 });

describe('StoreRouter.get', { timeout: 20_000 }, () => {
  test('answers a key whose active copy is here itself, with no lag and without asking anyone', async () => {
    const [a, b] = await startCluster(2);
    a.streams.putActive(MAC, STATS).own(MAC, a.address);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: a.address });
    expect(b.requests).toEqual([]);
  });

  test('forwards a key owned by another instance and names that instance as the one that served it', async () => {
    const [a, b] = await startCluster(2);
    a.streams.own(MAC, b.address);
    b.streams.putActive(MAC, STATS).own(MAC, b.address);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: b.address });
    expect(b.requests).toEqual([keyPath(MAC)]);
  });

  test('answers undefined, served by the owner, for a key the owner does not hold', async () => {
    const [a, b] = await startCluster(2);
    a.streams.own(MAC, b.address);
    b.streams.putActive(MAC, undefined).own(MAC, b.address);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: undefined, servedBy: b.address });
  });

  test('forwards a key with slashes, spaces, query characters and non-ASCII intact', async () => {
    const [a, b] = await startCluster(2);
    const key = "Ana's iPhone/2 ?#% é\uFF01😀";
    a.streams.own(key, b.address);
    b.streams.putActive(key, STATS).own(key, b.address);

    expect(await a.router.get(STORE, key)).toStrictEqual({ value: STATS, servedBy: b.address });
    expect(b.requests).toEqual([keyPath(key)]);
  });

  test.each([
    [
      'its server was closed',
      async (owner: Instance) => {
        await owner.stop();
        return owner.address;
      },
    ],
    ['nobody listens on its port', async () => deadAddress()],
  ])('answers from the stale copy here, its lag stated, when the owner is down (%s)', async (_, down) => {
    const [a, b] = await startCluster(2, { maxStaleLag: 100 });
    const owner = await down(b);
    a.streams.putStale(MAC, STATS, 7).own(MAC, owner);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: a.address, staleLag: 7 });
  });

  test('accepts a stale copy exactly maxStaleLag behind', async () => {
    const a = await startInstance({ maxStaleLag: 100 });
    a.streams.putStale(MAC, STATS, 100).own(MAC, await deadAddress());

    expect(await a.router.get(STORE, MAC)).toStrictEqual({
      value: STATS,
      servedBy: a.address,
      staleLag: 100,
    });
  });

  test('refuses with SERVICE_UNAVAILABLE and Retry-After when the owner is down and the copy here is beyond maxStaleLag', async () => {
    const [a, b] = await startCluster(2, { maxStaleLag: 100, retryAfterSeconds: 3 });
    await b.stop();
    a.streams.putStale(MAC, STATS, 101, 5).own(MAC, b.address, [], 5);

    const error = await rejection(a.router.get(STORE, MAC));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.statusCode).toBe(503);
    expect(error.retryAfterSeconds).toBe(3);
    expect(error.message).toBe(
      'partition 5 of pcap-stats is restoring and no caught-up copy can answer; try again shortly',
    );
  });

  test('asks a caught-up standby elsewhere with ?stale=1 when the owner is restoring, and states its lag', async () => {
    const [a, b, c] = await startCluster(3, { maxStaleLag: 100 });
    a.streams.own(MAC, b.address, [a.address, c.address]);
    b.streams.putStale(MAC, OTHER_STATS, 50);
    c.streams.putStale(MAC, STATS, 4);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: c.address, staleLag: 4 });
    // The owner was asked for an up-to-date answer only, and said 503; the standby was asked for a stale one.
    expect(b.requests).toEqual([keyPath(MAC)]);
    expect(c.requests).toEqual([`${keyPath(MAC)}?stale=1`]);
    expect(a.requests).toEqual([]);
  });

  test('answers last from the owner restoring a task it took over, when its copy is within the bound', async () => {
    const [a, b, c] = await startCluster(3, { maxStaleLag: 100 });
    a.streams.own(MAC, b.address, [c.address], 1);
    b.streams.putStale(MAC, STATS, 50, 1);
    c.streams.putStale(MAC, STATS, 101, 1);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: b.address, staleLag: 50 });
    // Up to date from the owner first, then the standby, then the owner's restoring copy.
    expect(b.requests).toEqual([keyPath(MAC), `${keyPath(MAC)}?stale=1`]);
    expect(c.requests).toEqual([`${keyPath(MAC)}?stale=1`]);
  });

  test('refuses with SERVICE_UNAVAILABLE when the owner is restoring and no copy is within the bound', async () => {
    const [a, b, c] = await startCluster(3, { maxStaleLag: 100 });
    a.streams.own(MAC, b.address, [c.address], 1);
    b.streams.putStale(MAC, STATS, 150, 1);
    c.streams.putStale(MAC, STATS, 101, 1);

    const error = await rejection(a.router.get(STORE, MAC));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(1);
    expect(c.requests).toEqual([`${keyPath(MAC)}?stale=1`]);
    expect(b.requests).toEqual([keyPath(MAC), `${keyPath(MAC)}?stale=1`]);
  });

  test('answers from the copy here at lag 0 while the group rebalances, asking nobody', async () => {
    const [a, b] = await startCluster(2);
    a.streams.putStale(MAC, STATS, 0).own(MAC, null);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: a.address, staleLag: 0 });
    expect(b.requests).toEqual([]);
  });

  test('refuses with SERVICE_UNAVAILABLE while the group rebalances and no copy is here', async () => {
    const a = await startInstance();
    a.streams.own(MAC, null, [], 2);

    const error = await rejection(a.router.get(STORE, MAC));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe('partition 2 of pcap-stats is being reassigned; try again shortly');
  });

  test('refuses with SERVICE_UNAVAILABLE when the instance is not running', async () => {
    const a = await startInstance();
    a.streams.running = false;

    const error = await rejection(a.router.get(STORE, MAC));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe('not running; try again shortly');
  });

  test('gives up on an owner that never answers after timeoutMs and answers from the copy here', async () => {
    const a = await startInstance({ timeoutMs: 200 });
    a.streams.putStale(MAC, STATS, 3).own(MAC, await hangingAddress());

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: a.address, staleLag: 3 });
  });

  test('gives up on an owner that stops half-way through its answer and answers from the copy here', async () => {
    const a = await startInstance({ timeoutMs: 200 });
    a.streams.putStale(MAC, STATS, 3).own(MAC, await stallingBodyAddress());

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: a.address, staleLag: 3 });
  });

  test('gives up on an owner and a standby that never answer and refuses with SERVICE_UNAVAILABLE', async () => {
    const a = await startInstance({ timeoutMs: 200 });
    a.streams.own(MAC, await hangingAddress(), [await hangingAddress()]);

    const error = await rejection(a.router.get(STORE, MAC));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
  });

  test('gives up on a hanging owner and asks the next option, a caught-up standby', async () => {
    const [a, c] = await startCluster(2, { timeoutMs: 200 });
    a.streams.own(MAC, await hangingAddress(), [c.address]);
    c.streams.putStale(MAC, STATS, 2);

    expect(await a.router.get(STORE, MAC)).toStrictEqual({ value: STATS, servedBy: c.address, staleLag: 2 });
  });
});

describe('GET /devices/:mac/stats across instances', { timeout: 20_000 }, () => {
  const statsOf = (instance: Instance, mac: string) =>
    fetch(`http://${instance.address}/devices/${encodeURIComponent(mac)}/stats`);

  test("answers a device owned by another instance with that instance's figures and name", async () => {
    const [a, b] = await startCluster(2);
    a.streams.own(MAC, b.address);
    b.streams.putActive(MAC, STATS).own(MAC, b.address);

    const response = await statsOf(a, 'A4-83-E7-4E-39-15');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-probestream-served-by')).toBe(b.address);
    expect(response.headers.get('x-probestream-stale-lag')).toBeNull();
    expect(await response.json()).toEqual({ mac: MAC, deviceName: null, ...STATS_VIEW });
    expect(b.requests).toEqual([keyPath(MAC)]);
  });

  test('answers 404 DEVICE_NOT_FOUND for a device the owner does not hold', async () => {
    const [a, b] = await startCluster(2);
    a.streams.own(MAC, b.address);
    b.streams.putActive(MAC, undefined).own(MAC, b.address);

    const response = await statsOf(a, MAC);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-probestream-served-by')).toBe(b.address);
    expect(await response.json()).toEqual({
      error: { code: 'DEVICE_NOT_FOUND', message: `no probe request from ${MAC} has been counted` },
    });
  });

  test('answers from the stale copy here with its lag when the owner is down', async () => {
    const [a, b] = await startCluster(2);
    await b.stop();
    a.streams.putStale(MAC, STATS, 7).own(MAC, b.address);

    const response = await statsOf(a, MAC);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-probestream-served-by')).toBe(a.address);
    expect(response.headers.get('x-probestream-stale-lag')).toBe('7');
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toEqual({ mac: MAC, deviceName: null, ...STATS_VIEW });
  });

  test('answers 503 with Retry-After and a JSON error when the owner is down and no copy is close enough', async () => {
    const [a, b] = await startCluster(2, { maxStaleLag: 10, retryAfterSeconds: 3 });
    await b.stop();
    a.streams.putStale(MAC, STATS, 11, 4).own(MAC, b.address, [], 4);

    const response = await statsOf(a, MAC);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-probestream-stale-lag')).toBeNull();
    expect(await response.json()).toEqual({
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: 'partition 4 of pcap-stats is restoring and no caught-up copy can answer; try again shortly',
      },
    });
  });

  test("answers with a standby's figures and lag when the owner is restoring", async () => {
    const [a, b, c] = await startCluster(3);
    a.streams.own(MAC, b.address, [c.address]);
    b.streams.putStale(MAC, OTHER_STATS, 50_000);
    c.streams.putStale(MAC, STATS, 12);

    const response = await statsOf(a, MAC);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-probestream-served-by')).toBe(c.address);
    expect(response.headers.get('x-probestream-stale-lag')).toBe('12');
    expect(await response.json()).toEqual({ mac: MAC, deviceName: null, ...STATS_VIEW });
  });
});

describe('StoreRouter.page', { timeout: 20_000 }, () => {
  // UTF-8 byte order: a < b < z < é (C3 A9) < ！ (EF BC 81) < 😀 (F0 9F 98 80). UTF-16 order would put 😀
  // (D83D) before ！ (FF01).
  const ORDER = ['a', 'b', 'z', 'é', '\uFF01', '😀'];

  async function twoInstancesWithEntries(settings: RouterSettings = {}): Promise<[Instance, Instance]> {
    const [a, b] = await startCluster(2, settings);
    for (const key of ['b', 'é', '😀']) a.streams.putActive(key, { key, on: 'a' });
    for (const key of ['\uFF01', 'z', 'a']) b.streams.putActive(key, { key, on: 'b' });
    return [a, b];
  }

  const entry = (key: string) => ({ key, value: { key, on: ['b', 'é', '😀'].includes(key) ? 'a' : 'b' } });

  test('merges both instances in UTF-8 byte order and continues exactly after the cursor', async () => {
    const [a] = await twoInstancesWithEntries();

    const first = await a.router.page(STORE, { limit: 4 });
    expect(first).toEqual({ entries: ['a', 'b', 'z', 'é'].map(entry), next: 'é' });
    const second = await a.router.page(STORE, { limit: 4, after: 'é' });
    expect(second).toEqual({ entries: ['\uFF01', '😀'].map(entry), next: null });
  });

  test('answers next null for a last page that is exactly full', async () => {
    const [a] = await twoInstancesWithEntries();

    expect(await a.router.page(STORE, { limit: 3 })).toEqual({
      entries: ['a', 'b', 'z'].map(entry),
      next: 'z',
    });
    expect(await a.router.page(STORE, { limit: 3, after: 'z' })).toEqual({
      entries: ['é', '\uFF01', '😀'].map(entry),
      next: null,
    });
  });

  test.each([1, 2, 5, 6, 1000])(
    'walks every entry once, in order, asked from either instance, %i at a time',
    async (limit) => {
      const instances = await twoInstancesWithEntries();
      for (const instance of instances) {
        const keys: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages <= ORDER.length; pages++) {
          const page = await instance.router.page(STORE, after === undefined ? { limit } : { limit, after });
          keys.push(...page.entries.map((e) => e.key));
          if (page.next === null) break;
          after = page.next;
        }
        expect(keys).toEqual(ORDER);
      }
    },
  );

  test('refuses with SERVICE_UNAVAILABLE, never a partial page, when another instance is not ready', async () => {
    const [a, b] = await twoInstancesWithEntries({ retryAfterSeconds: 2 });
    b.ready = false;

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.message).toBe(
      `instance ${b.address} cannot list its part of pcap-stats now; try again shortly`,
    );
  });

  test('refuses with SERVICE_UNAVAILABLE when this instance is not ready', async () => {
    const [a] = await twoInstancesWithEntries();
    a.ready = false;

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe('this instance is restoring; try again shortly');
  });

  test('refuses with SERVICE_UNAVAILABLE when another instance is down', async () => {
    const [a, b] = await twoInstancesWithEntries();
    await b.stop();

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe(`instance ${b.address} did not answer; try again shortly`);
  });

  test('leaves no rejection unhandled when this instance is not ready and the instance asked first is down', async () => {
    const [a, b] = await twoInstancesWithEntries();
    a.streams.clients = [member(b.address), member(a.address)];
    a.ready = false;
    await b.stop();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = await rejection(a.router.page(STORE, { limit: 10 }));
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      // Let the request to the instance that is down fail, if it was left running.
      await fetch(`http://${b.address}/`).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('gives up on an instance that never answers after timeoutMs and refuses with SERVICE_UNAVAILABLE', async () => {
    const [a] = await twoInstancesWithEntries({ timeoutMs: 200 });
    const hanging = await hangingAddress();
    a.streams.clients = [member(a.address), member(hanging)];

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe(`instance ${hanging} did not answer; try again shortly`);
  });

  test('gives up on an instance that stops half-way through its answer and refuses with SERVICE_UNAVAILABLE', async () => {
    const [a] = await twoInstancesWithEntries({ timeoutMs: 200 });
    const stalling = await stallingBodyAddress();
    a.streams.clients = [member(a.address), member(stalling)];

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe(`instance ${stalling} did not answer; try again shortly`);
  });

  test('refuses with SERVICE_UNAVAILABLE when a rebalance closes a task here while its entries are read', async () => {
    const [a] = await twoInstancesWithEntries();
    a.streams.closeAfter = 1;

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe('this instance cannot list its part of pcap-stats now; try again shortly');
  });

  test('refuses with SERVICE_UNAVAILABLE when a rebalance closes a task on another instance while its entries are read', async () => {
    const [a, b] = await twoInstancesWithEntries();
    b.streams.closeAfter = 1;

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe(
      `instance ${b.address} cannot list its part of pcap-stats now; try again shortly`,
    );
  });

  test.each([
    ['no instance is known', (): StreamsMetadata[] => []],
    ['an instance has no server yet', (self: string) => [member(self), member(null)]],
  ])('refuses with SERVICE_UNAVAILABLE while the group rebalances (%s)', async (_, clients) => {
    const [a] = await twoInstancesWithEntries();
    a.streams.clients = clients(a.address);

    const error = await rejection(a.router.page(STORE, { limit: 10 }));
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toBe('the instances are being reassigned; try again shortly');
  });
});
