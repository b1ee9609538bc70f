import type { FastifyInstance } from 'fastify';
import { MAX_NAME_LENGTH, nameProblem } from '../../probes/names.js';
import { normalizeMac } from '../../probes/pcap.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { DeviceNames } from '../device-names.js';
import { ApiError } from '../errors.js';
import {
  bodyWriteErrors,
  COMMON_ERRORS,
  CURSOR_INVALID,
  errorResponses,
  INVALID_MAC,
  macSchema,
  namedDevicesSchema,
  pageQueryProperties,
} from '../schemas.js';

const DEFAULT_NAMES = 100;
const MAX_NAMES = 1000;

const deviceSchema = {
  type: 'object',
  required: ['mac', 'name', 'source', 'isGuest'],
  properties: {
    mac: { type: 'string', description: 'Lower case, colon-separated.' },
    name: { type: 'string' },
    source: { type: 'string', description: '`manual` for a name set through the API, the CLI or the bot.' },
    isGuest: { type: 'boolean' },
  },
} as const;

/** The names of the devices table: listed, set by hand and removed. */
export function registerNameRoutes(
  app: FastifyInstance,
  options: { readonly deviceNames: DeviceNames; readonly authenticated: boolean },
): void {
  const context = nameRouteContext(options);
  registerListNames(app, context);
  registerPutDeviceName(app, context);
  registerDeleteDeviceName(app, context);
}

/** What the routes below share, made once from the options. */
function nameRouteContext(options: { readonly deviceNames: DeviceNames; readonly authenticated: boolean }) {
  const { deviceNames } = options;
  const security = options.authenticated ? [{ bearer: [] }] : [];
  const authErrors = options.authenticated ? (['UNAUTHORIZED'] as const) : [];
  const macParams = { type: 'object', required: ['mac'], properties: { mac: macSchema } } as const;
  const checkedMac = (text: string): string => {
    const mac = normalizeMac(text);
    if (mac === undefined) throw new ApiError(INVALID_MAC.code, INVALID_MAC.message);
    return mac;
  };
  return { authenticated: options.authenticated, deviceNames, security, authErrors, macParams, checkedMac };
}

type NameRouteContext = ReturnType<typeof nameRouteContext>;

function registerListNames(app: FastifyInstance, context: NameRouteContext): void {
  const { deviceNames } = context;
  app.get<{ Querystring: { prefix: string; limit: number; cursor?: string } }>(
    '/names',
    {
      config: { invalid: CURSOR_INVALID },
      schema: {
        operationId: 'listNames',
        tags: ['devices'],
        summary: 'The known device names with their MACs, by name; case and accents do not matter to prefix',
        querystring: {
          type: 'object',
          properties: {
            prefix: {
              type: 'string',
              maxLength: MAX_NAME_LENGTH,
              default: '',
              description: 'Only names that start with this (ignoring case, accents and repeated blanks).',
            },
            ...pageQueryProperties('Names', DEFAULT_NAMES, MAX_NAMES),
          },
        },
        response: {
          200: {
            description: 'One page of names, sorted without regard to case and accents.',
            type: 'object',
            required: ['names', 'nextCursor'],
            properties: {
              names: { type: 'array', items: namedDevicesSchema },
              nextCursor: { type: 'string', nullable: true, description: 'null on the last page.' },
            },
          },
          ...errorResponses('INVALID_REQUEST', 'INVALID_CURSOR', ...COMMON_ERRORS),
        },
      },
    },
    async (request) => {
      const { prefix, limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const page = deviceNames.names().list(prefix, limit, after);
      const last = page.names.at(-1);
      return { names: page.names, nextCursor: page.more && last ? encodeCursor(last.name) : null };
    },
  );
}

function registerPutDeviceName(app: FastifyInstance, context: NameRouteContext): void {
  const { deviceNames, security, macParams, checkedMac } = context;
  app.put<{ Params: { mac: string }; Body: { name: string; isGuest?: boolean } }>(
    '/devices/:mac/name',
    {
      config: { auth: true, invalid: { 'params/mac': INVALID_MAC } },
      schema: {
        operationId: 'putDeviceName',
        tags: ['devices'],
        summary: 'Names a device by hand (source `manual`), or renames it',
        description:
          'Written to the devices topic in the record shape the CDC writes, keeping what the table knows of ' +
          'the device (IP, model, type); acknowledged by every in-sync replica before the answer. The latest ' +
          'write wins: a later CDC change to the same device replaces the name; a CDC snapshot that does not ' +
          'change the device leaves it. Probe requests counted from then on are counted under the new name.',
        security,
        params: macParams,
        body: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
            isGuest: {
              type: 'boolean',
              description: "Whether the device is a guest's. Default: as it was, else false.",
            },
          },
        },
        response: {
          200: { description: 'Written.', ...deviceSchema },
          ...bodyWriteErrors(context.authenticated, 'INVALID_MAC', 'INVALID_NAME'),
        },
      },
    },
    async (request) => {
      const mac = checkedMac(request.params.mac);
      const { name, isGuest } = request.body;
      const problem = nameProblem(name);
      if (problem !== undefined) throw new ApiError('INVALID_NAME', problem);
      const record = await deviceNames.setName(mac, name, isGuest);
      return { mac, name, source: record.source, isGuest: record.is_guest };
    },
  );
}

function registerDeleteDeviceName(app: FastifyInstance, context: NameRouteContext): void {
  const { deviceNames, security, authErrors, macParams, checkedMac } = context;
  app.delete<{ Params: { mac: string } }>(
    '/devices/:mac/name',
    {
      config: { auth: true, invalid: { 'params/mac': INVALID_MAC } },
      schema: {
        operationId: 'deleteDeviceName',
        tags: ['devices'],
        summary:
          "Removes a device's record from the devices table (a tombstone), whatever gave its name; removing " +
          'one that is not there is no error',
        security,
        params: macParams,
        response: {
          204: { type: 'null', description: 'Removed.' },
          ...errorResponses('INVALID_MAC', ...authErrors, 'SERVICE_UNAVAILABLE', ...COMMON_ERRORS),
        },
      },
    },
    async (request, reply) => {
      await deviceNames.remove(checkedMac(request.params.mac));
      return reply.code(204).send();
    },
  );
}
