import type { FastifyInstance } from 'fastify';
import { normalizeMac } from '../../probes/pcap.js';
import type { ProbeStats } from '../../probes/schemas.js';
import {
  DAY_MS,
  type FrameDay,
  HOUR_MS,
  MAX_FRAME_SUBTYPE,
  WINDOWED_STORES,
} from '../../probes/windowed-views.js';
import { ApiError } from '../errors.js';
import { COMMON_ERRORS, errorResponses, INVALID_MAC, macSchema, storeAnswerHeaders } from '../schemas.js';
import { timeBoundSchema, timeRange } from '../time-range.js';
import type { WindowRouter } from '../window-router.js';
import { setAnswerHeaders } from './devices.js';

const iso = (ms: number) => new Date(ms).toISOString();
const dateTime = (description: string) => ({ type: 'string', format: 'date-time', description }) as const;

/** The windows a device's activity can be read by, with their stores and how far apart from and to may be. */
const ACTIVITY = {
  '1h': { sizeMs: HOUR_MS, store: WINDOWED_STORES.activityHourly, defaultSpanMs: DAY_MS, maxDays: 31 },
  '1d': { sizeMs: DAY_MS, store: WINDOWED_STORES.activityDaily, defaultSpanMs: 30 * DAY_MS, maxDays: 366 },
} as const;

const SESSIONS_MAX_DAYS = 31;
const FRAMES_MAX_DAYS = 366;

const rangeQuery = (defaultFrom: string) => ({
  from: timeBoundSchema('from', defaultFrom),
  to: timeBoundSchema('to', 'now'),
});

const VIEW_ERRORS = errorResponses('INVALID_REQUEST', 'SERVICE_UNAVAILABLE', ...COMMON_ERRORS);
const DEVICE_VIEW_ERRORS = errorResponses(
  'INVALID_MAC',
  'INVALID_REQUEST',
  'SERVICE_UNAVAILABLE',
  ...COMMON_ERRORS,
);

type RangeQuery = { from?: string; to?: string };

/**
 * The windowed views of the probe topology (its windowed-views.ts), routed to the instance that owns each
 * device: probe requests per hour or day, sessions, and every frame per UTC day and type/subtype.
 */
export function registerWindowedViewRoutes(app: FastifyInstance, windows: WindowRouter): void {
  registerActivity(app, windows);
  registerSessions(app, windows);
  registerDailyFrames(app, windows);
}

function macOf(text: string): string {
  const mac = normalizeMac(text);
  if (mac === undefined) throw new ApiError(INVALID_MAC.code, INVALID_MAC.message);
  return mac;
}

function registerActivity(app: FastifyInstance, windows: WindowRouter): void {
  app.get<{ Params: { mac: string }; Querystring: RangeQuery & { window?: '1h' | '1d' } }>(
    '/devices/:mac/activity',
    {
      config: { invalid: { 'params/mac': INVALID_MAC } },
      schema: {
        operationId: 'getDeviceActivity',
        tags: ['devices'],
        summary: "A device's probe requests per hour or per UTC day",
        description:
          'Tumbling windows of event time. Hours are kept 7 days and days 90 days (behind the latest probe ' +
          'request seen); a window without a probe request is left out. from and to may be at most 31 days ' +
          'apart for hours and 366 for days; every window that overlaps them is answered.',
        params: { type: 'object', required: ['mac'], properties: { mac: macSchema } },
        querystring: {
          type: 'object',
          properties: {
            window: { type: 'string', enum: ['1h', '1d'], default: '1h', description: 'Hours or days.' },
            ...rangeQuery('24 hours before to (hours), 30 days before to (days)'),
          },
        },
        response: {
          200: {
            description: 'The windows, oldest first.',
            type: 'object',
            required: ['mac', 'window', 'buckets'],
            properties: {
              mac: { type: 'string', description: 'Lower case, colon-separated.' },
              window: { type: 'string', enum: ['1h', '1d'] },
              buckets: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['start', 'end', 'probeCount'],
                  properties: {
                    start: dateTime('Start of the window, inclusive, ISO-8601 UTC.'),
                    end: dateTime('End of the window, exclusive.'),
                    probeCount: { type: 'integer' },
                  },
                },
              },
            },
            headers: storeAnswerHeaders,
          },
          ...DEVICE_VIEW_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const mac = macOf(request.params.mac);
      const window = request.query.window ?? '1h';
      const spec = ACTIVITY[window];
      const range = timeRange(request.query, {
        defaultSpanMs: spec.defaultSpanMs,
        maxSpanMs: spec.maxDays * DAY_MS,
        maxSpanText: `${spec.maxDays} days`,
      });
      // Windows that overlap the range: those that start up to a window before `from`.
      const starts = { from: Math.max(0, range.from - spec.sizeMs + 1), to: range.to };
      const answer = await windows.fetch<number>('windows', spec.store, mac, starts);
      setAnswerHeaders(reply, answer);
      const buckets = (answer.value ?? []).map(({ start, end, value }) => ({
        start: iso(start),
        end: iso(end),
        probeCount: value,
      }));
      return { mac, window, buckets };
    },
  );
}

function registerSessions(app: FastifyInstance, windows: WindowRouter): void {
  app.get<{ Params: { mac: string }; Querystring: RangeQuery }>(
    '/devices/:mac/sessions',
    {
      config: { invalid: { 'params/mac': INVALID_MAC } },
      schema: {
        operationId: 'getDeviceSessions',
        tags: ['devices'],
        summary: "A device's sessions: its probe requests split by 5 minutes without one",
        description:
          'Session windows of event time, kept 7 days after they end. Every session that overlaps from and ' +
          `to (at most ${SESSIONS_MAX_DAYS} days apart) is answered, oldest first; the latest may still grow.`,
        params: { type: 'object', required: ['mac'], properties: { mac: macSchema } },
        querystring: { type: 'object', properties: rangeQuery('24 hours before to') },
        response: {
          200: {
            description: 'The sessions, oldest first.',
            type: 'object',
            required: ['mac', 'sessions'],
            properties: {
              mac: { type: 'string' },
              sessions: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['start', 'end', 'probeCount', 'ssids'],
                  properties: {
                    start: dateTime('Event time of the first probe request of the session.'),
                    end: dateTime('Event time of its last.'),
                    probeCount: { type: 'integer' },
                    ssids: {
                      type: 'array',
                      items: { type: 'string', nullable: true },
                      description: 'The SSIDs probed for in the session, as ssidsProbed in the stats.',
                    },
                  },
                },
              },
            },
            headers: storeAnswerHeaders,
          },
          ...DEVICE_VIEW_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const mac = macOf(request.params.mac);
      const range = timeRange(request.query, {
        defaultSpanMs: DAY_MS,
        maxSpanMs: SESSIONS_MAX_DAYS * DAY_MS,
        maxSpanText: `${SESSIONS_MAX_DAYS} days`,
      });
      const answer = await windows.fetch<ProbeStats>('sessions', WINDOWED_STORES.sessions, mac, range);
      setAnswerHeaders(reply, answer);
      const sessions = (answer.value ?? []).map(({ start, end, value }) => ({
        start: iso(start),
        end: iso(end),
        probeCount: value.probeCount,
        ssids: value.ssidsProbed,
      }));
      return { mac, sessions };
    },
  );
}

function registerDailyFrames(app: FastifyInstance, windows: WindowRouter): void {
  app.get<{ Querystring: RangeQuery }>(
    '/frames/daily',
    {
      schema: {
        operationId: 'getDailyFrames',
        tags: ['frames'],
        summary: 'Every 802.11 frame captured, per UTC day and frame type/subtype',
        description:
          "The seed's PCAP_STATS: for each UTC day that overlaps from and to (at most " +
          `${FRAMES_MAX_DAYS} days apart) and each type/subtype, how many frames, and the first and last ` +
          'event time. Days are kept 90 days behind the latest frame seen. Gathered from every instance.',
        querystring: { type: 'object', properties: rangeQuery('7 days before to') },
        response: {
          200: {
            description: 'By day, then type/subtype.',
            type: 'object',
            required: ['from', 'to', 'frames'],
            properties: {
              from: dateTime('The range asked for.'),
              to: dateTime('The range asked for.'),
              frames: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['day', 'subtype', 'count', 'first', 'last'],
                  properties: {
                    day: { type: 'string', format: 'date', description: 'The UTC day, YYYY-MM-DD.' },
                    subtype: {
                      type: 'integer',
                      description: 'wlan.fc.type_subtype: type × 16 + subtype (4: probe request, 8: beacon).',
                    },
                    count: { type: 'integer' },
                    first: dateTime('Event time of the first frame of the day.'),
                    last: dateTime('Event time of the last.'),
                  },
                },
              },
            },
          },
          ...VIEW_ERRORS,
        },
      },
    },
    async (request) => {
      const range = timeRange(request.query, {
        defaultSpanMs: 7 * DAY_MS,
        maxSpanMs: FRAMES_MAX_DAYS * DAY_MS,
        maxSpanText: `${FRAMES_MAX_DAYS} days`,
      });
      const starts = { from: Math.max(0, range.from - DAY_MS + 1), to: range.to };
      // At most one window per type/subtype and day on all instances together: no instance holds more.
      const limit = (MAX_FRAME_SUBTYPE + 1) * (FRAMES_MAX_DAYS + 2);
      const { entries } = await windows.fetchAll<FrameDay>(WINDOWED_STORES.framesDaily, starts, limit);
      const frames = entries
        .map(({ key, start, value }) => ({
          day: iso(start).slice(0, 10),
          subtype: Number(key),
          count: value.count,
          first: iso(value.first),
          last: iso(value.last),
        }))
        .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.subtype - b.subtype));
      return { from: iso(range.from), to: iso(range.to), frames };
    },
  );
}
