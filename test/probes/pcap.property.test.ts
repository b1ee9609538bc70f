/**
 * Property-based: the `pcap` record reader on random and mutated input throws only its typed errors
 * (PcapRecordError from readProbeRequest, SerdeError from the serde the topology reads with), in time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcapRecordError, readProbeRequest } from '../../src/probes/pcap.js';
import { pcapSerde } from '../../src/probes/serdes.js';
import { SerdeError } from '../../src/topology/index.js';
import { handledInTime, jsonish, PROPERTY_RUNS } from '../support/properties.js';

const FIELDS = [
  'timestamp',
  'wlan_fc_type_subtype',
  'wlan_radio_signal_dbm',
  'wlan_sa',
  'wlan_da',
  'wlan_bssid',
  'wlan_ssid',
] as const;

/** Objects with the record's field names and any values: the inputs most likely to reach deep. */
const recordLike = fc.record(
  Object.fromEntries(FIELDS.map((field) => [field, jsonish])) as Record<
    (typeof FIELDS)[number],
    fc.Arbitrary<unknown>
  >,
  { requiredKeys: [] },
);

const VALID = {
  timestamp: '1587564340123',
  wlan_fc_type_subtype: ['0x0004'],
  wlan_radio_signal_dbm: ['-67'],
  wlan_sa: ['a4:83:e7:4e:39:15'],
  wlan_ssid: ['524e4d30'],
};

describe('the pcap record reader on random input', () => {
  it('answers a probe request or undefined, or throws PcapRecordError, for any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonish, recordLike), async (value) => {
        await handledInTime(
          () => {
            const probe = readProbeRequest(value);
            if (probe !== undefined) expect(probe.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
          },
          (error) => error instanceof PcapRecordError,
        );
      }),
      PROPERTY_RUNS,
    );
  });

  // Regression: `"wlan_radio_signal_dbm":[{"valueOf":1,"toString":1}]` threw a TypeError (Number() of an
  // object it cannot convert), found by this property.
  it('reads a valid record with one field replaced by anything, or throws PcapRecordError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), jsonish, async (field, value) => {
        await handledInTime(
          () => readProbeRequest({ ...VALID, [field]: value }),
          (error) => error instanceof PcapRecordError,
        );
      }),
      PROPERTY_RUNS,
    );
  });

  it('reads a signal that is an object as no signal, and an SSID that is one as an error for the DLQ', () => {
    const odd = { valueOf: 1, toString: 1 };
    const signal = { ...VALID, wlan_radio_signal_dbm: [odd] };
    expect(pcapSerde().deserialize(Buffer.from(JSON.stringify(signal)), 'pcap')?.signalDbm).toBeNull();
    const ssid = { ...VALID, wlan_ssid: [odd] };
    expect(() => pcapSerde().deserialize(Buffer.from(JSON.stringify(ssid)), 'pcap')).toThrow(
      new SerdeError(
        'SERDE_DESERIALIZATION_FAILED',
        'Cannot read a pcap record from topic pcap: wlan_ssid [{"valueOf":1,"toString":1}] is not text',
      ),
    );
  });

  it("throws only SerdeError from the topology's serde for any bytes, mutated JSON included", async () => {
    const serde = pcapSerde();
    const text = JSON.stringify(VALID);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
      fc
        .tuple(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 10 }))
        .map(([from, to, insert]) => Buffer.from(text.slice(0, from) + insert + text.slice(to))),
      fc.oneof(jsonish, recordLike).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (data) => {
        await handledInTime(
          () => serde.deserialize(Buffer.from(data), 'pcap'),
          (error) => error instanceof SerdeError,
        );
      }),
      PROPERTY_RUNS,
    );
  });
});
