import { type AvroSchema, type AvroSerde, type Serde, SerdeError, Serdes } from '../topology/index.js';
import {
  type PcapFrame,
  type PcapValue,
  type ProbeRequest,
  readFrame,
  readProbeRequest,
  strictUtf8,
} from './pcap.js';

/** A probe request after the devices join: the device's name when the table knows its MAC. */
export interface EnrichedProbe extends ProbeRequest {
  readonly deviceName: string | null;
}

const PROBE_SCHEMA = {
  type: 'record',
  name: 'Probe',
  namespace: 'probestream',
  fields: [
    { name: 'timestamp', type: 'long' },
    { name: 'mac', type: 'string' },
    { name: 'ssid', type: ['null', 'string'], default: null },
    { name: 'signalDbm', type: ['null', 'double'], default: null },
    { name: 'deviceName', type: ['null', 'string'], default: null },
  ],
} satisfies AvroSchema;

/** Probe requests on the topology's repartition topics: compact Avro rather than tshark's JSON. */
export function probeSerde(): AvroSerde<EnrichedProbe> {
  return Serdes.Avro<EnrichedProbe>(PROBE_SCHEMA);
}

/** The canonical `pcap` value of a probe request, as probestream's readers write it. */
export function pcapValueOf(probe: ProbeRequest): PcapValue {
  return {
    timestamp: String(probe.timestamp),
    wlan_fc_type_subtype: ['4'],
    ...(probe.signalDbm === null ? {} : { wlan_radio_signal_dbm: [String(probe.signalDbm)] }),
    wlan_sa: [probe.mac],
    ...(probe.ssid === null ? {} : { wlan_ssid: [probe.ssid] }),
  };
}

/** A `pcap` value larger than this is not read by default: a frame's fields take a few hundred bytes. */
export const DEFAULT_MAX_PCAP_RECORD_BYTES = 64 * 1024;

/**
 * Reads the `pcap` topic: JSON in every shape tshark writes (see pcap.ts), into a ProbeRequest, or null
 * for a frame that is not a probe request (the topology filters those). A record that cannot be read
 * throws SerdeError with the reason, so that it goes to the dead-letter queue and processing goes on; so
 * does one of more than `maxRecordBytes`, unparsed: it cannot be one frame's fields, and parsing it would
 * cost the time of thousands of records.
 */
export function pcapSerde(maxRecordBytes = DEFAULT_MAX_PCAP_RECORD_BYTES): Serde<ProbeRequest | null> {
  return pcapReader(
    maxRecordBytes,
    (json) => readProbeRequest(json) ?? null,
    (probe) => probe,
  );
}

/** Reads the `pcap` topic as pcapSerde does, but every frame, of any type (null for an index line). */
export function pcapFrameSerde(maxRecordBytes = DEFAULT_MAX_PCAP_RECORD_BYTES): Serde<PcapFrame | null> {
  return pcapReader(
    maxRecordBytes,
    (json) => readFrame(json) ?? null,
    (frame) => frame.probe,
  );
}

function pcapReader<T>(
  maxRecordBytes: number,
  read: (json: unknown) => T | null,
  probeOf: (value: T) => ProbeRequest | null,
): Serde<T | null> {
  return Object.freeze({
    serialize(value: T | null): Buffer {
      const probe = value === null ? null : probeOf(value);
      if (probe === null) {
        throw new SerdeError(
          'SERDE_SERIALIZATION_FAILED',
          'a pcap record is written from a probe request only',
        );
      }
      return Buffer.from(JSON.stringify(pcapValueOf(probe)));
    },
    deserialize(data: Buffer, topic?: string): T | null {
      const from = topic === undefined ? '' : ` from topic ${topic}`;
      if (data.length > maxRecordBytes) {
        throw new SerdeError(
          'SERDE_DESERIALIZATION_FAILED',
          `Cannot read a pcap record${from}: ${data.length} bytes is more than the ${maxRecordBytes} a record may have (maxPcapRecordBytes)`,
        );
      }
      let json: unknown;
      try {
        const text = strictUtf8(data);
        if (text === undefined) throw new TypeError('the bytes are not valid UTF-8');
        json = JSON.parse(text);
      } catch (error) {
        throw new SerdeError(
          'SERDE_DESERIALIZATION_FAILED',
          `Cannot read a pcap record${from}: not UTF-8 JSON (${(error as Error).message})`,
          { cause: error },
        );
      }
      try {
        return read(json);
      } catch (error) {
        // Not only PcapRecordError: a JSON object whose valueOf and toString are not functions
        // (`{"valueOf":1,"toString":1}`) makes Number() and String() throw a TypeError on the reader's way.
        if (!(error instanceof Error)) throw error;
        throw new SerdeError(
          'SERDE_DESERIALIZATION_FAILED',
          `Cannot read a pcap record${from}: ${error.message}`,
          {
            cause: error,
          },
        );
      }
    },
  });
}
