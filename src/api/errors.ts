import { CodedError } from '../errors/index.js';
/**
 * Errors of the API. One catalogue: every error body is `{"error": {"code", "message"}}` with one of these
 * codes and its HTTP status. Codes are stable; messages may change.
 */
export const apiErrorCodes = [
  'INVALID_REQUEST',
  'INVALID_JSON',
  'INVALID_MAC',
  'INVALID_SSID',
  'INVALID_CURSOR',
  'INVALID_NAME',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'DEVICE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'INTERNAL',
  'UPSTREAM_FAILED',
  'SERVICE_UNAVAILABLE',
  'NOT_READY',
] as const;

export type ApiErrorCode = (typeof apiErrorCodes)[number];

export interface ApiErrorDefinition {
  readonly status: number;
  /** What it means, and what the client should do next (the OpenAPI document shows it). */
  readonly doc: string;
}

export const API_ERRORS: Readonly<Record<ApiErrorCode, ApiErrorDefinition>> = Object.freeze({
  INVALID_REQUEST: {
    status: 400,
    doc: 'A parameter, query or body field is missing or out of range; the message names it. Fix the request.',
  },
  INVALID_JSON: { status: 400, doc: 'The body is not valid JSON. Fix the request.' },
  INVALID_MAC: {
    status: 400,
    doc: "The MAC is not six hex pairs, separated by ':' or '-' or not at all. Fix the request.",
  },
  INVALID_SSID: { status: 400, doc: 'The SSID is empty or longer than 32 bytes of UTF-8. Fix the request.' },
  INVALID_CURSOR: {
    status: 400,
    doc: 'The cursor is not one this API returned. Start again from the first page.',
  },
  INVALID_NAME: {
    status: 400,
    doc: 'The device name is blank, longer than 256 characters, or holds control characters. Fix the request.',
  },
  UNAUTHORIZED: {
    status: 401,
    doc: 'A write needs `Authorization: Bearer <API_TOKEN>`, and it was missing or wrong.',
  },
  NOT_FOUND: { status: 404, doc: 'No route has this path. See /docs/json for the routes.' },
  DEVICE_NOT_FOUND: {
    status: 404,
    doc:
      'No probe request from this device (MAC or name) has been counted. By name, `suggestions` lists up to 5 ' +
      'known names close to the one asked for.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    doc: 'The path exists, but not with this method; the Allow header lists the methods it has.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    doc: 'The body, or the record it would write, is larger than the server or its Kafka topic accepts. Send less.',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The body must be `application/json`.' },
  RATE_LIMITED: {
    status: 429,
    doc: 'Too many requests from this client in the current window. Wait for Retry-After seconds.',
  },
  INTERNAL: {
    status: 500,
    doc: 'The server failed; details are in its log, never in the answer. Retrying may help; report it if not.',
  },
  UPSTREAM_FAILED: {
    status: 502,
    doc: 'The instance that owns the key answered with an error. Retry; report it if it persists.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    doc: 'No copy of the data can answer now (a partition restoring or moving, Kafka unreachable). Retry after Retry-After seconds.',
  },
  NOT_READY: {
    status: 503,
    doc: 'The instance is still restoring its stores. Retry after Retry-After seconds.',
  },
} satisfies Record<ApiErrorCode, ApiErrorDefinition>);

export interface ApiErrorOptions {
  /** Sent as the Retry-After header (whole seconds, at least 1). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
  /** Extra response headers, e.g. `Allow` or `WWW-Authenticate`; never raw client input. */
  readonly headers?: Readonly<Record<string, string>>;
  /** More fields of the body's `error` object, e.g. `suggestions`; the route's schema must name them. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An error answered to the client as `{"error": {"code", "message"}}` with the code's HTTP status. */
export class ApiError extends CodedError<ApiErrorCode> {
  override readonly name: string = 'ApiError';
  readonly statusCode: number;
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ApiErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = API_ERRORS[code].status;
    this.retryAfterSeconds =
      options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }
}

/** The JSON body of an error answer. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: ApiErrorCode;
    readonly message: string;
    readonly [detail: string]: unknown;
  };
}

export function errorBody(error: ApiError): ApiErrorBody {
  return { error: { ...error.details, code: error.code, message: error.message } };
}
