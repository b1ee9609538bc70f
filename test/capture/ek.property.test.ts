/**
 * Property-based: the EK reader on random and mutated input never throws but CaptureError (strict mode
 * only), never hangs, and says what every line was.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEkLine, readEkLines } from '../../src/capture/ek.js';
import { CaptureError } from '../../src/capture/errors.js';
import { handledInTime, jsonish, PROPERTY_RUNS } from '../support/properties.js';

const FULL_LINE = JSON.stringify({
  timestamp: '1587564340123',
  layers: {
    wlan_radio: { wlan_radio_wlan_radio_signal_dbm: '-67' },
    wlan: { wlan_wlan_fc_type_subtype: '0x0004', wlan_wlan_sa: 'a4:83:e7:4e:39:15' },
    wlan_wlan_mgt: { wlan_wlan_ssid: '52:4e:4d:30' },
  },
});
const E_LINE =
  '{"timestamp":"1587564340123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_sa":["a4:83:e7:4e:39:15"],"wlan_ssid":["524e4d30"]}}';

/** A valid line with a slice replaced by random text: broken JSON, wrong types, cut objects. */
const mutatedLine = fc
  .tuple(fc.constantFrom(FULL_LINE, E_LINE), fc.nat(), fc.nat(), fc.string({ maxLength: 12 }))
  .map(([line, a, b, insert]) => {
    const from = Math.min(a, b) % (line.length + 1);
    const to = Math.max(a, b) % (line.length + 1);
    return line.slice(0, from) + insert + line.slice(Math.max(from, to));
  });

/** Lines with valid structure and random values where the fields are. */
const shapedLine = fc.tuple(jsonish, jsonish, jsonish, fc.boolean()).map(([subtype, sa, ssid, nested]) =>
  JSON.stringify(
    nested
      ? {
          timestamp: '1587564340123',
          wlan: { wlan_wlan_fc_type_subtype: subtype, wlan_wlan_sa: sa },
          wlan_wlan_mgt: { wlan_wlan_ssid: ssid },
        }
      : { timestamp: '1587564340123', wlan_fc_type_subtype: subtype, wlan_sa: sa, wlan_ssid: ssid },
  ),
);

const anyLine = fc.oneof(
  fc.string({ maxLength: 300 }),
  mutatedLine,
  shapedLine,
  jsonish.map((v) => JSON.stringify(v)),
);

describe('the EK reader on random input', () => {
  it('answers frame, skip or invalid for any line, without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(anyLine, async (line) => {
        await handledInTime(
          () => expect(['frame', 'skip', 'invalid']).toContain(parseEkLine(line).kind),
          () => false,
        );
      }),
      PROPERTY_RUNS,
    );
  });

  it('accounts for every line of random byte chunks, and throws only CaptureError when strict', async () => {
    const chunks = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        anyLine.map((line) => Buffer.from(`${line}\n`)),
      ),
      { maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(chunks, fc.boolean(), async (input, strict) => {
        await handledInTime(
          async () => {
            const reader = readEkLines(Readable.from(input.map((c) => Buffer.from(c))), {
              strict,
              maxLineBytes: 1024,
            });
            let records = 0;
            for await (const _ of reader) records += 1;
            const { lines, frames, skipped, blank, invalid } = reader.stats;
            expect(frames).toBe(records);
            expect(frames + skipped + blank + invalid).toBe(lines);
          },
          (error) => strict && error instanceof CaptureError && error.code === 'CAPTURE_INVALID_EK_LINE',
        );
      }),
      PROPERTY_RUNS,
    );
  });
});
