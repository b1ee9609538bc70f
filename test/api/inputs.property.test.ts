/**
 * Property-based: no path parameter, query or body a client sends gets a 5xx from the API (the streams
 * are left out: a valid request there opens a stream that does not end).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROPERTY_RUNS } from '../support/properties.js';
import { MAC, testApi } from './fakes.js';

const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(MAC, 'A4-83-E7-4E-39-15', 'RNM0', '..', '%', '%ZZ', '%00', 'pcap-stats', 'x'.repeat(300)),
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer().map(String),
  fc.constantFrom('-1', '1e9', 'NaN'),
);
const query = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'name', 'ssid', 'mac', 'prefix', 'from', 'to', 'x'),
  queryValue,
  { maxKeys: 4 },
);
const body = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.json().map((json) => json),
  fc
    .record({ reason: fc.oneof(fc.string({ maxLength: 600 }), fc.integer(), fc.constant(null)) })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      name: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer(),
      ),
      isGuest: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 })),
    })
    .map((v) => JSON.stringify(v)),
);

/** Encodes a random segment as a client might: sometimes escaped, sometimes raw. */
const pathOf = (template: string, value: string, raw: boolean) =>
  template.replace(':p', raw ? value.replaceAll('/', '') : encodeURIComponent(value));

const ROUTES = [
  ['GET', '/devices/:p/stats'],
  ['GET', '/devices/by-name/:p/stats'],
  ['GET', '/devices'],
  ['GET', '/ssid-alerts'],
  ['PUT', '/ssid-alerts/:p'],
  ['DELETE', '/ssid-alerts/:p'],
  ['GET', '/names'],
  ['PUT', '/devices/:p/name'],
  ['DELETE', '/devices/:p/name'],
  ['GET', '/internal/stores/:p/keys/a4%3A83'],
  ['GET', '/internal/stores/:p/entries'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
] as const;

describe('the API on random input', () => {
  it('answers every request with a status below 500', async () => {
    const api = await testApi({ apiToken: 'token' });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        segment,
        fc.boolean(),
        query,
        body,
        fc.constantFrom('application/json', 'text/plain', undefined),
        fc.boolean(),
        async ([method, template], value, raw, search, payload, type, authorized) => {
          const response = await api.app.inject({
            method,
            url: pathOf(template, value, raw),
            query: search,
            ...(method === 'PUT' ? { payload } : {}),
            headers: {
              ...(type === undefined ? {} : { 'content-type': type }),
              ...(authorized ? { authorization: 'Bearer token' } : {}),
            },
          });
          expect(
            response.statusCode,
            `${method} ${pathOf(template, value, raw)}: ${response.body}`,
          ).toBeLessThan(500);
        },
      ),
      { ...PROPERTY_RUNS, numRuns: 400 },
    );
  });
});
