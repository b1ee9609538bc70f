import { decodeSsidBytes, frameSubtype, type PcapValue, PROBE_REQUEST_SUBTYPE } from '../probes/pcap.js';
import {
  type DeviceRecord,
  deviceSerde,
  type ProbeStats,
  type ProbeTopics,
  probeStatsSerde,
  type SsidAlertEntry,
  STORES,
  ssidAlertSerde,
} from '../probes/schemas.js';
import { DEFAULT_MAX_PCAP_RECORD_BYTES } from '../probes/serdes.js';
import { formatTimestamp, parseDatePattern } from '../query/index.js';
import {
  RelationCatalog,
  type RelationRow,
  type Serde,
  SerdeError,
  type Topology,
} from '../topology/index.js';

/**
 * The probe application's relations, with the seed's names and types, so that the seed's ksqlDB statements
 * run as written: the `pcap` topic as streams PCAP_RAW (every frame) and PCAP_PROBE (probe requests), the
 * statistics stores as tables PCAP_STATS_01 (by MAC) and PCAP_STATS_ENRICHED_01 (by device name), and the
 * DEVICES and SSID_ALERT_LIST tables.
 */
export interface ProbeRelationsOptions {
  readonly topology: Topology;
  readonly topics: ProbeTopics;
  /** Names the stores' changelog topics, whose records are the statistics tables' changes. */
  readonly applicationId: string;
  /** How PCAP_STATS_01 shows FIRST_PROBE and LAST_PROBE. Default Europe/London, as the seed. */
  readonly timeZone?: string;
}

const PCAP_COLUMNS = [
  ['TIMESTAMP', 'BIGINT'],
  ['WLAN_FC_TYPE_SUBTYPE', 'ARRAY<INT>'],
  ['WLAN_RADIO_SIGNAL_DBM', 'ARRAY<DOUBLE>'],
  ['WLAN_SA', 'ARRAY<VARCHAR>'],
  ['WLAN_DA', 'ARRAY<VARCHAR>'],
  ['WLAN_BSSID', 'ARRAY<VARCHAR>'],
  ['WLAN_SSID', 'ARRAY<VARCHAR>'],
] as const;

const STATS_COLUMNS = (time: 'STRING' | 'BIGINT') =>
  [
    ['PROBE_COUNT', 'BIGINT'],
    ['FIRST_PROBE', time],
    ['LAST_PROBE', time],
    ['UNIQUE_SSIDS_PROBED', 'BIGINT'],
    ['SSIDS_PROBED', 'ARRAY<VARCHAR>'],
  ] as const;

export function probeRelations(options: ProbeRelationsOptions): RelationCatalog {
  const { topics, applicationId } = options;
  const timeZone = options.timeZone ?? 'Europe/London';
  const changelog = (store: string) => `${applicationId}-${store}-changelog`;
  const pcap = pcapJsonSerde();
  const pattern = parseDatePattern('yyyy-MM-dd HH:mm:ss');
  const showTime = (ms: number) => formatTimestamp(ms, pattern, timeZone);
  return new RelationCatalog(options.topology)
    .stream<PcapValue>({
      name: 'PCAP_RAW',
      columns: PCAP_COLUMNS,
      topic: topics.pcap,
      valueSerde: pcap,
      valueFormat: 'JSON',
      row: (key, value, timestamp) => pcapRow(key, value, timestamp),
    })
    .stream<PcapValue>({
      name: 'PCAP_PROBE',
      columns: PCAP_COLUMNS,
      topic: topics.pcap,
      valueSerde: pcap,
      valueFormat: 'JSON',
      row: (key, value, timestamp) =>
        frameSubtype(value) === PROBE_REQUEST_SUBTYPE ? pcapRow(key, value, timestamp) : undefined,
    })
    .table<ProbeStats>({
      name: 'PCAP_STATS_01',
      columns: STATS_COLUMNS('STRING'),
      store: STORES.statsByMac,
      topic: changelog(STORES.statsByMac),
      valueSerde: probeStatsSerde(),
      valueFormat: 'AVRO',
      row: (key, stats) => statsRow(key, stats, showTime),
    })
    .table<ProbeStats>({
      name: 'PCAP_STATS_ENRICHED_01',
      columns: STATS_COLUMNS('BIGINT'),
      store: STORES.statsByName,
      topic: changelog(STORES.statsByName),
      valueSerde: probeStatsSerde(),
      valueFormat: 'AVRO',
      row: (key, stats) => statsRow(key, stats, (ms) => ms),
    })
    .table<DeviceRecord>({
      name: 'DEVICES',
      keyColumn: 'MAC',
      columns: [
        ['NAME', 'VARCHAR'],
        ['SOURCE', 'VARCHAR'],
        ['IS_GUEST', 'BOOLEAN'],
      ],
      store: STORES.devices,
      topic: topics.devices,
      valueSerde: deviceSerde(),
      valueFormat: 'AVRO',
      row: (key, device) => ({
        key,
        rowtime: 0,
        columns: { NAME: device.name, SOURCE: device.source, IS_GUEST: device.is_guest },
      }),
    })
    .table<SsidAlertEntry>({
      name: 'SSID_ALERT_LIST',
      columns: [['REASON', 'VARCHAR']],
      store: STORES.ssidAlertList,
      topic: topics.ssidAlertList,
      valueSerde: ssidAlertSerde(),
      valueFormat: 'AVRO',
      row: (key, entry) => ({ key, rowtime: 0, columns: { REASON: entry.reason } }),
    });
}

function statsRow(key: string | null, stats: ProbeStats, time: (ms: number) => unknown): RelationRow {
  // A class has no index signature, though its fields and getters are read by name as any object's are.
  const columns = new StatsColumns(stats, time) as unknown as Readonly<Record<string, unknown>>;
  return { key, rowtime: stats.lastProbe, columns };
}

/**
 * A statistics row's columns. Times are written only when a query reads them (a scan of every device reads
 * few columns); getters on a class rather than on each object, since a scan makes one per device.
 */
class StatsColumns {
  readonly PROBE_COUNT: number;
  readonly UNIQUE_SSIDS_PROBED: number;
  readonly SSIDS_PROBED: readonly (string | null)[];
  readonly #stats: ProbeStats;
  readonly #time: (ms: number) => unknown;

  constructor(stats: ProbeStats, time: (ms: number) => unknown) {
    this.PROBE_COUNT = stats.probeCount;
    this.UNIQUE_SSIDS_PROBED = stats.ssidsProbed.length;
    this.SSIDS_PROBED = stats.ssidsProbed;
    this.#stats = stats;
    this.#time = time;
  }

  get FIRST_PROBE(): unknown {
    return this.#time(this.#stats.firstProbe);
  }

  get LAST_PROBE(): unknown {
    return this.#time(this.#stats.lastProbe);
  }
}

/** A `pcap` value as JSON, unparsed past `DEFAULT_MAX_PCAP_RECORD_BYTES` (as the topology reads it). */
function pcapJsonSerde(): Serde<PcapValue> {
  return Object.freeze({
    serialize(value: PcapValue): Buffer {
      return Buffer.from(JSON.stringify(value));
    },
    deserialize(data: Buffer): PcapValue {
      if (data.length > DEFAULT_MAX_PCAP_RECORD_BYTES) {
        throw new SerdeError(
          'SERDE_DESERIALIZATION_FAILED',
          `a pcap record of ${data.length} bytes is not read`,
        );
      }
      const value = JSON.parse(data.toString('utf8')) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new SerdeError('SERDE_DESERIALIZATION_FAILED', 'a pcap record is a JSON object');
      }
      return value as PcapValue;
    },
  });
}

const list = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

function strings(value: unknown): (string | null)[] | null {
  if (value === undefined || value === null) return null;
  return list(value).map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null));
}

function numbers(value: unknown, parse: (text: string) => number | undefined): (number | null)[] | null {
  if (value === undefined || value === null) return null;
  return list(value).map((v) =>
    typeof v === 'number' ? v : typeof v === 'string' ? (parse(v.trim()) ?? null) : null,
  );
}

const parseDouble = (text: string) =>
  text === '' || !Number.isFinite(Number(text)) ? undefined : Number(text);
const parseSubtype = (text: string) => frameSubtype({ wlan_fc_type_subtype: text });

/** SSIDs as text: tshark 3.6+ (hex subtype) writes their bytes in hex, `<MISSING>` for an empty one. */
function ssids(value: PcapValue): (string | null)[] | null {
  const raw = strings(value.wlan_ssid);
  const subtype = list(value.wlan_fc_type_subtype)[0];
  if (raw === null || !(typeof subtype === 'string' && /^0x/i.test(subtype.trim()))) return raw;
  return raw.map((ssid) => {
    if (ssid === null || ssid === '<MISSING>') return ssid === null ? null : '';
    return /^([0-9a-f]{2})+$/i.test(ssid) ? decodeSsidBytes(Buffer.from(ssid, 'hex')) : ssid;
  });
}

function pcapRow(key: string | null, value: PcapValue, timestamp: number): RelationRow {
  const raw = value.timestamp;
  const eventTime =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : null;
  return {
    key,
    rowtime: eventTime !== null && Number.isSafeInteger(eventTime) ? eventTime : timestamp,
    columns: {
      TIMESTAMP: eventTime,
      WLAN_FC_TYPE_SUBTYPE: numbers(value.wlan_fc_type_subtype, parseSubtype),
      WLAN_RADIO_SIGNAL_DBM: numbers(value.wlan_radio_signal_dbm, parseDouble),
      WLAN_SA: strings(value.wlan_sa),
      WLAN_DA: strings(value.wlan_da),
      WLAN_BSSID: strings(value.wlan_bssid),
      WLAN_SSID: ssids(value),
    },
  };
}
