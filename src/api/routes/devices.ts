import type { FastifyInstance, FastifyReply } from 'fastify';
import { normalizeMac } from '../../probes/pcap.js';
import { type ProbeStats, STORES } from '../../probes/schemas.js';
import { type DeviceListQuery, listDevices, MAX_LISTING_SCAN } from '../device-listing.js';
import type { DeviceNames } from '../device-names.js';
import { ApiError } from '../errors.js';
import { isHeaderSafe } from '../headers.js';
import { statsByName } from '../name-lookup.js';
import type { KeyRouter, RoutedAnswer } from '../routing.js';
import {
  COMMON_ERRORS,
  CURSOR_INVALID,
  errorResponses,
  INVALID_MAC,
  macSchema,
  macStatsSchema,
  nameStatsSchema,
  pageQueryProperties,
  ssidSchema,
  storeAnswerHeaders,
} from '../schemas.js';

/** A device's figures as the API shows them. */
export interface StatsView {
  readonly probeCount: number;
  readonly firstProbe: string;
  readonly lastProbe: string;
  readonly uniqueSsidsProbed: number;
  readonly ssidsProbed: readonly (string | null)[];
}

export function statsView(stats: ProbeStats): StatsView {
  return {
    probeCount: stats.probeCount,
    firstProbe: new Date(stats.firstProbe).toISOString(),
    lastProbe: new Date(stats.lastProbe).toISOString(),
    uniqueSsidsProbed: stats.ssidsProbed.length,
    ssidsProbed: stats.ssidsProbed,
  };
}

/** Sets the headers that say which copy answered. */
export function setAnswerHeaders(reply: FastifyReply, answer: RoutedAnswer<unknown>): void {
  if (isHeaderSafe(answer.servedBy)) reply.header('X-Probestream-Served-By', answer.servedBy);
  if (answer.staleLag !== undefined)
    reply.header('X-Probestream-Stale-Lag', String(Math.trunc(answer.staleLag)));
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Pull queries on the device statistics stores. */
export function registerDeviceRoutes(
  app: FastifyInstance,
  options: { readonly router: KeyRouter; readonly deviceNames: DeviceNames },
): void {
  const context = deviceRouteContext(options);
  registerGetDeviceStats(app, context);
  registerGetDeviceStatsByName(app, context);
  registerListDevices(app, context);
}

/** What the routes below share, made once from the options. */
function deviceRouteContext(options: { readonly router: KeyRouter; readonly deviceNames: DeviceNames }) {
  const { router, deviceNames } = options;
  const deviceName = (mac: string) => deviceNames.get(mac)?.name ?? null;
  return { router, deviceNames, deviceName };
}

type DeviceRouteContext = ReturnType<typeof deviceRouteContext>;

function registerGetDeviceStats(app: FastifyInstance, context: DeviceRouteContext): void {
  const { router, deviceName } = context;
  app.get<{ Params: { mac: string } }>(
    '/devices/:mac/stats',
    {
      config: { invalid: { 'params/mac': INVALID_MAC } },
      schema: {
        operationId: 'getDeviceStats',
        tags: ['devices'],
        summary: "A device's probe-request statistics, by MAC",
        params: { type: 'object', required: ['mac'], properties: { mac: macSchema } },
        response: {
          200: { description: "The device's figures.", ...macStatsSchema, headers: storeAnswerHeaders },
          ...errorResponses(
            'INVALID_MAC',
            'DEVICE_NOT_FOUND',
            'SERVICE_UNAVAILABLE',
            'UPSTREAM_FAILED',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    async (request, reply) => {
      const mac = normalizeMac(request.params.mac);
      if (mac === undefined) throw new ApiError(INVALID_MAC.code, INVALID_MAC.message);
      const answer = await router.get<ProbeStats>(STORES.statsByMac, mac);
      setAnswerHeaders(reply, answer);
      if (answer.value === undefined) {
        throw new ApiError('DEVICE_NOT_FOUND', `no probe request from ${mac} has been counted`);
      }
      return { mac, deviceName: deviceName(mac), ...statsView(answer.value) };
    },
  );
}

function registerGetDeviceStatsByName(app: FastifyInstance, context: DeviceRouteContext): void {
  const { router, deviceNames } = context;
  app.get<{ Params: { name: string } }>(
    '/devices/by-name/:name/stats',
    {
      schema: {
        operationId: 'getDeviceStatsByName',
        tags: ['devices'],
        summary: 'The probe-request statistics of every device with this name, together',
        description:
          'Names come from the devices table (MongoDB CDC, or set by hand); a name is 1 to 256 characters. ' +
          'Case, accents and repeated blanks do not matter: the figures of every name that reads the same ' +
          'are added up, and `matchedNames` lists those names. With no match, the 404 suggests close names.',
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: {
          200: {
            description: 'The figures of the devices of this name.',
            ...nameStatsSchema,
            headers: storeAnswerHeaders,
          },
          ...errorResponses(
            'INVALID_REQUEST',
            'DEVICE_NOT_FOUND',
            'SERVICE_UNAVAILABLE',
            'UPSTREAM_FAILED',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const found = await statsByName(router, deviceNames.names(), name);
      if (found.answer !== undefined) setAnswerHeaders(reply, found.answer);
      if (found.stats === undefined) {
        const suggestions = deviceNames.names().suggest(name, 5);
        throw new ApiError(
          'DEVICE_NOT_FOUND',
          suggestions.length === 0
            ? 'no probe request from a device of this name has been counted'
            : `no probe request from a device of this name has been counted; did you mean ${suggestions
                .map((s) => JSON.stringify(s.name))
                .join(', ')}?`,
          { details: { suggestions } },
        );
      }
      const matched =
        found.names.length === 1 && found.names[0] === name ? {} : { matchedNames: found.names };
      return { name: found.names[0] ?? name, ...matched, ...statsView(found.stats) };
    },
  );
}

function registerListDevices(app: FastifyInstance, context: DeviceRouteContext): void {
  const { router, deviceName } = context;
  app.get<{ Querystring: DeviceListQuery }>(
    '/devices',
    {
      config: { invalid: CURSOR_INVALID },
      schema: {
        operationId: 'listDevices',
        tags: ['devices'],
        summary: 'A page of devices with their statistics, from every instance, filtered and sorted',
        description:
          'Filters combine (AND). Sorted by MAC unless `sort` says otherwise; ties are broken by MAC. A ' +
          `listing sorted otherwise reads every device (at most ${MAX_LISTING_SCAN}) to sort them.`,
        querystring: {
          type: 'object',
          properties: {
            ...pageQueryProperties('Devices', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            ssid: { ...ssidSchema, description: 'Only devices that probed for this SSID (exactly).' },
            name: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              description: "Only devices whose name holds this text (case and accents don't matter).",
            },
            since: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              description: 'Only devices heard from at or after this time: ISO-8601 or epoch milliseconds.',
            },
            sort: { type: 'string', enum: ['mac', 'lastProbe', 'probeCount'], default: 'mac' },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
          },
        },
        response: {
          200: {
            description: 'One page of devices.',
            type: 'object',
            required: ['devices', 'nextCursor'],
            properties: {
              devices: { type: 'array', items: macStatsSchema },
              nextCursor: {
                type: 'string',
                nullable: true,
                description:
                  'Pass as cursor (with the same filters and order) for the next page; null on the last page.',
              },
            },
          },
          ...errorResponses(
            'INVALID_REQUEST',
            'INVALID_CURSOR',
            'SERVICE_UNAVAILABLE',
            'UPSTREAM_FAILED',
            ...COMMON_ERRORS,
          ),
        },
      },
    },
    async (request) => {
      const page = await listDevices(router, STORES.statsByMac, deviceName, request.query);
      return {
        devices: page.devices.map(({ mac, stats }) => ({
          mac,
          deviceName: deviceName(mac),
          ...statsView(stats),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
