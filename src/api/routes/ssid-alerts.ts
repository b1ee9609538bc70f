import type { FastifyInstance } from 'fastify';
import { type SsidAlertEntry, STORES } from '../../probes/schemas.js';
import type { AlertListWriter } from '../alert-list-writer.js';
import { ApiError } from '../errors.js';
import type { KeyRouter } from '../routing.js';
import { bodyWriteErrors, COMMON_ERRORS, errorResponses, ssidSchema } from '../schemas.js';

/** The longest SSID 802.11 allows, in bytes. */
export const MAX_SSID_BYTES = 32;

const INVALID_SSID = { code: 'INVALID_SSID', message: 'an SSID is 1 to 32 bytes of UTF-8' } as const;

/** Throws ApiError INVALID_SSID unless `ssid` is 1 to 32 bytes of UTF-8. */
export function checkSsid(ssid: string): void {
  const bytes = Buffer.byteLength(ssid, 'utf8');
  if (bytes === 0 || bytes > MAX_SSID_BYTES) throw new ApiError(INVALID_SSID.code, INVALID_SSID.message);
}

/** How many pages of the alert list one GET gathers at most (a list this long is a mistake). */
const MAX_PAGES = 100;
const PAGE_SIZE = 1000;

const alertSchema = {
  type: 'object',
  required: ['ssid', 'reason'],
  properties: { ssid: { type: 'string' }, reason: { type: 'string' } },
} as const;

const ssidParams = { type: 'object', required: ['ssid'], properties: { ssid: ssidSchema } } as const;

/** The SSID alert list: read from its table, written to the `ssid_alert_list` topic. */
export function registerSsidAlertRoutes(
  app: FastifyInstance,
  options: {
    readonly router: KeyRouter;
    readonly alertList: AlertListWriter;
    readonly authenticated: boolean;
  },
): void {
  const context = ssidAlertRouteContext(options);
  registerListSsidAlerts(app, context);
  registerPutSsidAlert(app, context);
  registerDeleteSsidAlert(app, context);
}

/** What the routes below share, made once from the options. */
function ssidAlertRouteContext(options: {
  readonly router: KeyRouter;
  readonly alertList: AlertListWriter;
  readonly authenticated: boolean;
}) {
  const { router, alertList } = options;
  const security = options.authenticated ? [{ bearer: [] }] : [];
  const authErrors = options.authenticated ? (['UNAUTHORIZED'] as const) : [];
  return { authenticated: options.authenticated, router, alertList, security, authErrors };
}

type SsidAlertRouteContext = ReturnType<typeof ssidAlertRouteContext>;

function registerListSsidAlerts(app: FastifyInstance, context: SsidAlertRouteContext): void {
  const { router } = context;
  app.get(
    '/ssid-alerts',
    {
      schema: {
        operationId: 'listSsidAlerts',
        tags: ['ssid-alerts'],
        summary: 'The SSIDs that raise an alert when probed for, with their reasons, sorted by SSID',
        response: {
          200: {
            description: 'The whole list.',
            type: 'object',
            required: ['alerts'],
            properties: { alerts: { type: 'array', items: alertSchema } },
          },
          ...errorResponses('SERVICE_UNAVAILABLE', 'UPSTREAM_FAILED', ...COMMON_ERRORS),
        },
      },
    },
    async () => {
      const alerts: { ssid: string; reason: string }[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const page = await router.page<SsidAlertEntry>(
          STORES.ssidAlertList,
          after === undefined ? { limit: PAGE_SIZE } : { limit: PAGE_SIZE, after },
        );
        for (const { key, value } of page.entries) alerts.push({ ssid: key, reason: value.reason });
        if (page.next === null || page.next === after) break;
        after = page.next;
      }
      return { alerts };
    },
  );
}

function registerPutSsidAlert(app: FastifyInstance, context: SsidAlertRouteContext): void {
  const { alertList, security } = context;
  app.put<{ Params: { ssid: string }; Body: { reason: string } }>(
    '/ssid-alerts/:ssid',
    {
      config: { auth: true, invalid: { 'params/ssid': INVALID_SSID } },
      schema: {
        operationId: 'putSsidAlert',
        tags: ['ssid-alerts'],
        summary: 'Adds an SSID to the alert list, or changes its reason',
        description:
          'Written to the ssid_alert_list topic and acknowledged by every in-sync replica before the answer; ' +
          'the list and the alerts follow once the topology has read it.',
        security,
        params: ssidParams,
        body: {
          type: 'object',
          required: ['reason'],
          properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
        },
        response: {
          200: { description: 'Written.', ...alertSchema },
          ...bodyWriteErrors(context.authenticated, 'INVALID_SSID'),
        },
      },
    },
    async (request) => {
      const { ssid } = request.params;
      checkSsid(ssid);
      const { reason } = request.body;
      await alertList.put(ssid, reason);
      return { ssid, reason };
    },
  );
}

function registerDeleteSsidAlert(app: FastifyInstance, context: SsidAlertRouteContext): void {
  const { alertList, security, authErrors } = context;
  app.delete<{ Params: { ssid: string } }>(
    '/ssid-alerts/:ssid',
    {
      config: { auth: true, invalid: { 'params/ssid': INVALID_SSID } },
      schema: {
        operationId: 'deleteSsidAlert',
        tags: ['ssid-alerts'],
        summary:
          'Removes an SSID from the alert list (a tombstone); removing one that is not there is no error',
        security,
        params: ssidParams,
        response: {
          204: { type: 'null', description: 'Removed.' },
          ...errorResponses('INVALID_SSID', ...authErrors, 'SERVICE_UNAVAILABLE', ...COMMON_ERRORS),
        },
      },
    },
    async (request, reply) => {
      const { ssid } = request.params;
      checkSsid(ssid);
      await alertList.delete(ssid);
      return reply.code(204).send();
    },
  );
}
