import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Alert } from '../../probes/schemas.js';
import { ApiError } from '../errors.js';
import type { ApiMetrics } from '../metrics.js';
import type { ProbeEvent, PushSource, PushSources } from '../push.js';
import { COMMON_ERRORS, errorResponses, ssidSchema } from '../schemas.js';
import { SseStream } from '../sse.js';
import { checkSsid } from './ssid-alerts.js';

export interface StreamRouteOptions {
  readonly pushSources: PushSources;
  /** host:port of this instance, sent as X-Probestream-Served-By. */
  readonly instanceName: string;
  /** ms between heartbeat comments. */
  readonly heartbeatMs: number;
  /** Counts a stream when it ends (Fastify's onResponse hooks skip hijacked replies). */
  readonly metrics: ApiMetrics;
}

const INVALID_SSID = { code: 'INVALID_SSID', message: 'an SSID is 1 to 32 bytes of UTF-8' } as const;

const ssidFilter = {
  type: 'object',
  properties: { ssid: { ...ssidSchema, description: 'Only events for this SSID (exactly, case included).' } },
} as const;

function streamResponses(event: string, description: string) {
  return {
    200: {
      description:
        `Server-sent events: each \`event: ${event}\` has an \`id\` (counting from 1 on each connection) ` +
        `and \`data\`, one line of JSON: ${description} A comment line every 15 s keeps the connection ` +
        'alive. Events start when the stream opens; nothing is replayed on reconnection.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    ...errorResponses('INVALID_SSID', 'SERVICE_UNAVAILABLE', ...COMMON_ERRORS),
  };
}

/** Push queries: alerts and probe requests as server-sent events, as they happen. */
export function registerStreamRoutes(app: FastifyInstance, options: StreamRouteOptions): void {
  const open = new Set<SseStream>();
  let closing = false;
  // Open streams would keep close() waiting for ever: end them first.
  app.addHook('preClose', async () => {
    closing = true;
    for (const stream of open) stream.close();
  });

  const serve = <T>(
    request: FastifyRequest,
    reply: FastifyReply,
    source: PushSource<T>,
    event: string,
    view: (value: T) => unknown,
    wanted: (value: T) => boolean,
  ) =>
    streamEvents(request, reply, { source, event, view, wanted, open, closing: () => closing, ...options });

  app.get<{ Querystring: { ssid?: string } }>(
    '/alerts/stream',
    {
      config: { invalid: { 'querystring/ssid': INVALID_SSID } },
      schema: {
        operationId: 'streamAlerts',
        tags: ['streams'],
        summary: 'Alerts as they happen: a device probed for an SSID on the alert list',
        querystring: ssidFilter,
        response: streamResponses('alert', '`{ts, mac, ssid, reason, deviceName}`, as on the alerts topic.'),
      },
    },
    async (request, reply) => {
      const { ssid } = request.query;
      if (ssid !== undefined) checkSsid(ssid);
      await serve<Alert>(
        request,
        reply,
        options.pushSources.alerts,
        'alert',
        (alert) => alert,
        (alert) => ssid === undefined || alert.ssid === ssid,
      );
    },
  );

  app.get<{ Querystring: { ssid?: string } }>(
    '/probes/stream',
    {
      config: { invalid: { 'querystring/ssid': INVALID_SSID } },
      schema: {
        operationId: 'streamProbes',
        tags: ['streams'],
        summary: 'Probe requests as they arrive (the EMIT CHANGES push query)',
        querystring: ssidFilter,
        response: streamResponses(
          'probe',
          '`{timestamp, mac, ssid, signalDbm}`, timestamp ISO-8601 UTC with milliseconds, ssid null when ' +
            'the frame has no SSID element and "" for a wildcard probe, signalDbm null when not captured.',
        ),
      },
    },
    async (request, reply) => {
      const { ssid } = request.query;
      if (ssid !== undefined) checkSsid(ssid);
      await serve<ProbeEvent>(
        request,
        reply,
        options.pushSources.probes,
        'probe',
        (probe) => ({
          timestamp: new Date(probe.timestamp).toISOString(),
          mac: probe.mac,
          ssid: probe.ssid,
          signalDbm: probe.signalDbm,
        }),
        (probe) => ssid === undefined || probe.ssid === ssid,
      );
    },
  );
}

interface StreamSpec<T> extends StreamRouteOptions {
  readonly source: PushSource<T>;
  readonly event: string;
  readonly view: (value: T) => unknown;
  readonly wanted: (value: T) => boolean;
  readonly open: Set<SseStream>;
  /** Whether the server has begun to close (a stream opened now would never be ended). */
  readonly closing: () => boolean;
}

/**
 * Subscribes, then opens the stream: a source that cannot start answers a JSON error (503) instead. Events
 * that arrive between the two are held and sent first. The subscription ends with the connection.
 */
async function streamEvents<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  spec: StreamSpec<T>,
): Promise<void> {
  let stream: SseStream | undefined;
  const held: T[] = [];
  const deliver = (value: T) => {
    if (!spec.wanted(value)) return;
    if (stream) stream.send(spec.event, spec.view(value));
    else held.push(value);
  };
  let ended = false;
  const unsubscribe = await spec.source.subscribe(deliver, () => {
    ended = true;
    stream?.close();
  });
  if (reply.raw.destroyed || request.raw.destroyed) {
    // The client left while the source was starting: nothing to answer.
    unsubscribe();
    reply.hijack();
    return;
  }
  if (spec.closing()) {
    unsubscribe();
    throw new ApiError('SERVICE_UNAVAILABLE', 'this instance is shutting down; ask another', {
      retryAfterSeconds: 1,
    });
  }
  reply.hijack();
  stream = new SseStream(reply.raw, {
    heartbeatMs: spec.heartbeatMs,
    headers: { 'X-Probestream-Served-By': spec.instanceName },
  });
  spec.open.add(stream);
  const opened = stream;
  stream.onClose(() => {
    unsubscribe();
    spec.open.delete(opened);
    spec.metrics.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      200,
      reply.elapsedTime / 1000,
    );
  });
  for (const value of held.splice(0)) stream.send(spec.event, spec.view(value));
  if (ended) stream.close();
}
