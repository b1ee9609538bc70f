import { MAX_CURSOR_LENGTH } from './cursor.js';
import { API_ERRORS, type ApiErrorCode, apiErrorCodes } from './errors.js';

/**
 * JSON schemas shared by the routes: Fastify validates requests and serialises answers with them, and
 * @fastify/swagger turns them into the OpenAPI document.
 */

/** What normalizeMac accepts, without surrounding blanks: six hex pairs, `:` or `-` between them or nothing. */
export const MAC_PATTERN = '^[0-9A-Fa-f]{2}(?:[:-]?[0-9A-Fa-f]{2}){5}$';

export const macSchema = {
  type: 'string',
  pattern: MAC_PATTERN,
  description:
    "Six hex pairs in either case, separated by ':' or '-' or not at all; answered as aa:bb:cc:dd:ee:ff.",
  examples: ['a4:83:e7:4e:39:15', 'A4-83-E7-4E-39-15'],
} as const;

/** An SSID: 1 to 32 bytes of UTF-8 (the byte count is checked by the route; 32 characters at most here). */
export const ssidSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 32,
  description: 'An SSID, 1 to 32 bytes of UTF-8.',
} as const;

/** A known name and the MACs of the devices that carry it. */
export const namedDevicesSchema = {
  type: 'object',
  required: ['name', 'macs'],
  properties: {
    name: { type: 'string', description: 'As the devices table has it.' },
    macs: { type: 'array', items: { type: 'string' }, description: 'Lower case, colon-separated, sorted.' },
  },
} as const;

const errorObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: [...apiErrorCodes] },
        message: { type: 'string' },
        suggestions: {
          type: 'array',
          description:
            'DEVICE_NOT_FOUND by name: up to 5 known names close to the one asked for, closest first.',
          items: namedDevicesSchema,
        },
      },
    },
  },
} as const;

/** The response schema of an error, described by the codes a route can answer with. */
export function errorResponse(...codes: ApiErrorCode[]) {
  return {
    ...errorObject,
    description: codes.map((code) => `\`${code}\`: ${API_ERRORS[code].doc}`).join('\n\n'),
  };
}

/** The error responses of a route, by status, from the codes it can answer with. */
export function errorResponses(...codes: ApiErrorCode[]): Record<number, ReturnType<typeof errorResponse>> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) {
    const status = API_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, errorResponse(...list)]));
}

/** Errors any route can answer with. */
export const COMMON_ERRORS: readonly ApiErrorCode[] = ['RATE_LIMITED', 'INTERNAL'];

/** The error responses of a route that writes a JSON body to Kafka, beside its own `codes`. */
export function bodyWriteErrors(authenticated: boolean, ...codes: ApiErrorCode[]) {
  return errorResponses(
    ...codes,
    'INVALID_REQUEST',
    'INVALID_JSON',
    ...(authenticated ? (['UNAUTHORIZED'] as const) : []),
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'SERVICE_UNAVAILABLE',
    ...COMMON_ERRORS,
  );
}

export const INVALID_MAC = {
  code: 'INVALID_MAC',
  message: "the MAC must be six hex pairs, separated by ':' or '-' or not at all",
} as const;

/** The route config that answers a cursor this API did not write with INVALID_CURSOR. */
export const CURSOR_INVALID = {
  'querystring/cursor': { code: 'INVALID_CURSOR', message: 'the cursor is not one this API returned' },
} as const;

/** `limit` and `cursor` of a paged listing of `noun`s. */
export function pageQueryProperties(noun: string, defaultSize: number, maxSize: number) {
  return {
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: maxSize,
      default: defaultSize,
      description: `${noun} per page, 1 to ${maxSize}. Defaults to ${defaultSize}.`,
    },
    cursor: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_CURSOR_LENGTH,
      description: "The previous page's nextCursor; omit it for the first page.",
    },
  } as const;
}

/** The figures of one device (by MAC or by name). */
export const statsProperties = {
  probeCount: { type: 'integer', description: 'Probe requests counted.' },
  firstProbe: {
    type: 'string',
    format: 'date-time',
    description: 'Event time of the earliest probe request, ISO-8601 UTC with milliseconds.',
  },
  lastProbe: {
    type: 'string',
    format: 'date-time',
    description: 'Event time of the latest probe request, ISO-8601 UTC with milliseconds.',
  },
  uniqueSsidsProbed: { type: 'integer', description: 'The length of ssidsProbed.' },
  ssidsProbed: {
    type: 'array',
    items: { type: 'string', nullable: true },
    description:
      'The SSIDs probed for, each once, sorted by UTF-8 bytes. null (first when present) stands for probe ' +
      'requests without an SSID element; "" is a wildcard (broadcast) probe.',
  },
} as const;

export const STATS_FIELDS = ['probeCount', 'firstProbe', 'lastProbe', 'uniqueSsidsProbed', 'ssidsProbed'];

export const macStatsSchema = {
  type: 'object',
  required: ['mac', 'deviceName', ...STATS_FIELDS],
  properties: {
    mac: { type: 'string', description: 'Lower case, colon-separated.' },
    deviceName: {
      type: 'string',
      nullable: true,
      description: "The device's name in the devices table (CDC or manual); null when it has none.",
    },
    ...statsProperties,
  },
} as const;

export const nameStatsSchema = {
  type: 'object',
  required: ['name', ...STATS_FIELDS],
  properties: {
    name: { type: 'string', description: 'The device name, as the devices table has it.' },
    matchedNames: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Present when the name asked for was not written exactly so: the known names that read the same ' +
        '(ignoring case, accents and repeated blanks), whose figures are added up here.',
    },
    ...statsProperties,
  },
} as const;

/** Headers of an answer read from a store (see KeyRouter). */
export const storeAnswerHeaders = {
  'X-Probestream-Served-By': {
    type: 'string',
    description: 'host:port of the instance that answered.',
  },
  'X-Probestream-Stale-Lag': {
    type: 'integer',
    description:
      'Present when a standby or restoring copy answered: how many changelog records it is behind.',
  },
} as const;
