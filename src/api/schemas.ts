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
  required: ['mac', ...STATS_FIELDS],
  properties: { mac: { type: 'string', description: 'Lower case, colon-separated.' }, ...statsProperties },
} as const;

export const nameStatsSchema = {
  type: 'object',
  required: ['name', ...STATS_FIELDS],
  properties: {
    name: { type: 'string', description: 'The device name, as the devices table has it.' },
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
