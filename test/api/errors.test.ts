import { expect, test } from 'vitest';
import { API_ERRORS, ApiError, apiErrorCodes } from '../../src/api/index.js';

test('the error catalogue keeps its codes and their statuses', () => {
  expect(Object.fromEntries(apiErrorCodes.map((code) => [code, API_ERRORS[code].status]))).toEqual({
    INVALID_REQUEST: 400,
    INVALID_JSON: 400,
    INVALID_MAC: 400,
    INVALID_SSID: 400,
    INVALID_CURSOR: 400,
    INVALID_NAME: 400,
    UNAUTHORIZED: 401,
    NOT_FOUND: 404,
    DEVICE_NOT_FOUND: 404,
    METHOD_NOT_ALLOWED: 405,
    PAYLOAD_TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    RATE_LIMITED: 429,
    INTERNAL: 500,
    UPSTREAM_FAILED: 502,
    SERVICE_UNAVAILABLE: 503,
    NOT_READY: 503,
  });
  expect(Object.keys(API_ERRORS).sort()).toEqual([...apiErrorCodes].sort());
  for (const code of apiErrorCodes) expect(API_ERRORS[code].doc.length).toBeGreaterThan(10);
});

test('an ApiError carries its status, a whole-second Retry-After and its cause', () => {
  const cause = new Error('broker down');
  const error = new ApiError('SERVICE_UNAVAILABLE', 'try again', { retryAfterSeconds: 0.2, cause });
  expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', statusCode: 503, retryAfterSeconds: 1, cause });
  expect(new ApiError('DEVICE_NOT_FOUND', 'no').retryAfterSeconds).toBeUndefined();
});
