import { type AvroSchema, type AvroSerde, Serdes } from '../topology/index.js';

/**
 * The probe application's topics and the shapes of their values (docs/architecture.md, "Topic contracts").
 */

/** The application's topic names; tests and deployments may use others. */
export interface ProbeTopics {
  readonly pcap: string;
  readonly devices: string;
  readonly ssidAlertList: string;
  readonly alerts: string;
}

export const TOPICS: ProbeTopics = Object.freeze({
  pcap: 'pcap',
  devices: 'devices',
  ssidAlertList: 'ssid_alert_list',
  alerts: 'alerts',
});

/** The queryable stores of the probe topology. */
export const STORES = Object.freeze({
  statsByMac: 'pcap-stats',
  statsByName: 'pcap-stats-by-name',
  devices: 'devices',
  ssidAlertList: 'ssid-alert-list',
});

/** A `devices` value, keyed by MAC (lower-case, colon-separated). A tombstone deletes the device. */
export interface DeviceRecord {
  readonly mac: string;
  /** Where the name came from: the CDC's `ace` collection (`device`, `user`), or a person (`manual`). */
  readonly source: 'device' | 'user' | 'manual';
  readonly name: string | null;
  readonly ip: string | null;
  readonly model: string | null;
  readonly type: string | null;
  readonly is_guest: boolean;
}

const nullableString = ['null', 'string'];

export const DEVICE_SCHEMA = {
  type: 'record',
  name: 'Device',
  namespace: 'probestream',
  fields: [
    { name: 'mac', type: 'string' },
    { name: 'source', type: 'string' },
    { name: 'name', type: nullableString, default: null },
    { name: 'ip', type: nullableString, default: null },
    { name: 'model', type: nullableString, default: null },
    { name: 'type', type: nullableString, default: null },
    { name: 'is_guest', type: 'boolean', default: false },
  ],
} satisfies AvroSchema;

/** An `ssid_alert_list` value, keyed by SSID. A tombstone removes the alert. */
export interface SsidAlertEntry {
  readonly reason: string;
}

export const SSID_ALERT_SCHEMA = {
  type: 'record',
  name: 'SsidAlert',
  namespace: 'probestream',
  fields: [{ name: 'reason', type: 'string' }],
} satisfies AvroSchema;

/** An `alerts` value (JSON), keyed by MAC. */
export interface Alert {
  /** When the probe request was captured, ISO-8601 UTC with milliseconds. */
  readonly ts: string;
  readonly mac: string;
  readonly ssid: string;
  readonly reason: string;
  /** The device's name when the devices table knows the MAC, else null. */
  readonly deviceName: string | null;
  /**
   * With alert suppression (ALERT_SUPPRESS_WINDOW), how many probes of this MAC and SSID raised no alert
   * in the previous window; absent when every probe alerts.
   */
  readonly suppressed?: number;
}

/** Per-device statistics, the value of the `pcap-stats` and `pcap-stats-by-name` stores. */
export interface ProbeStats {
  readonly probeCount: number;
  /** Earliest and latest event time, epoch ms. */
  readonly firstProbe: number;
  readonly lastProbe: number;
  /** The SSIDs probed for, each once, sorted (null, the absent SSID, first): `""` is a wildcard probe. */
  readonly ssidsProbed: readonly (string | null)[];
}

export const PROBE_STATS_SCHEMA = {
  type: 'record',
  name: 'ProbeStats',
  namespace: 'probestream',
  fields: [
    { name: 'probeCount', type: 'long' },
    { name: 'firstProbe', type: 'long' },
    { name: 'lastProbe', type: 'long' },
    { name: 'ssidsProbed', type: { type: 'array', items: nullableString } },
  ],
} satisfies AvroSchema;

export const deviceSerde = (): AvroSerde<DeviceRecord> => Serdes.Avro<DeviceRecord>(DEVICE_SCHEMA);
export const ssidAlertSerde = (): AvroSerde<SsidAlertEntry> => Serdes.Avro<SsidAlertEntry>(SSID_ALERT_SCHEMA);
export const probeStatsSerde = (): AvroSerde<ProbeStats> => Serdes.Avro<ProbeStats>(PROBE_STATS_SCHEMA);
