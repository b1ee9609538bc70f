import { type KStream, type Serde, Serdes, StreamsBuilder, type Topology } from '../topology/index.js';
import { ALERT_WINDOWS_STORE, alertSuppressor, alertWindowsStore } from './alert-suppression.js';
import type { PcapFrame, ProbeRequest } from './pcap.js';
import {
  type Alert,
  type DeviceRecord,
  deviceSerde,
  type ProbeStats,
  type ProbeTopics,
  probeStatsSerde,
  type SsidAlertEntry,
  STORES,
  ssidAlertSerde,
  TOPICS,
} from './schemas.js';
import { type EnrichedProbe, pcapFrameSerde, probeSerde } from './serdes.js';
import { addProbe, emptyStats } from './stats.js';
import { BY_NAME_REPARTITION, statsByName } from './stats-by-name.js';
import { dailyFrames, FRAMES_BY_SUBTYPE, probeActivity } from './windowed-views.js';

export interface ProbeTopologyOptions {
  /** Topic names, when they differ from the defaults (docs/architecture.md, "Topic contracts"). */
  readonly topics?: Partial<ProbeTopics>;
  /** Keep the aggregates in LevelDB (default) or in memory (tests, benchmarks). */
  readonly persistent?: boolean;
  /** A `pcap` record larger than this goes to the DLQ unread. Default 65,536. */
  readonly maxPcapRecordBytes?: number;
  /** At most one alert per (MAC, SSID) per window of this many ms of event time; 0: one per probe. */
  readonly alertSuppressWindowMs?: number;
}

/** The repartition topics, named so that they stay the same when the topology changes elsewhere. */
export const REPARTITIONS = Object.freeze({
  byMac: 'probes-by-mac',
  byName: BY_NAME_REPARTITION,
  bySubtype: FRAMES_BY_SUBTYPE,
});

/**
 * The seed's topology (docs/architecture.md, "One record's way"):
 * - `pcap` → probe requests only (other frames filtered; unreadable records, records over 64 KiB and SSIDs over
 *   32 bytes to the DLQ), keyed by source MAC
 *   whatever key they arrived with (the original pipeline wrote none), event time from `timestamp`;
 * - every frame per UTC day and type/subtype (repartitioned by it): `frames-daily`;
 * - per MAC: `pcap-stats`, probe requests per hour (`probe-activity-1h`) and per UTC day
 *   (`probe-activity-1d`), and sessions split by 5 minutes without a probe (`probe-sessions`);
 * - per-MAC stats JOIN `devices` (a table-table join), regrouped by name with adder and subtractor:
 *   `pcap-stats-by-name`, over each device's whole history whenever it was named;
 * - LEFT JOIN `devices` on MAC: the device's name on each probe, for the alerts;
 * - INNER JOIN `ssid_alert_list` (a global table: whole on every instance) on the SSID → at most one
 *   alert per (MAC, SSID) per window (alertSuppressWindowMs) → `alerts`, keyed by MAC, with the device name
 *   when known.
 */
export function buildProbeTopology(options: ProbeTopologyOptions = {}): Topology {
  const topics = { ...TOPICS, ...options.topics };
  const persistent = options.persistent ?? true;
  const builder = new StreamsBuilder();

  const frames = builder.stream<string | null, PcapFrame | null>(topics.pcap, {
    // A record without a key reaches processors as null, never through the serde.
    keySerde: Serdes.String() as Serde<string | null>,
    valueSerde: pcapFrameSerde(options.maxPcapRecordBytes),
    timestampExtractor: ({ value, timestamp }) => value?.timestamp ?? timestamp,
  });
  dailyFrames(frames, persistent);
  const probes: KStream<string, EnrichedProbe> = frames
    .filter((_mac, frame) => frame?.probe != null)
    .map(
      (_key, frame) => {
        const probe = frame?.probe as ProbeRequest;
        return [probe.mac, { ...probe, deviceName: null }];
      },
      {
        keySerde: Serdes.String(),
        valueSerde: probeSerde(),
      },
    )
    .repartition(REPARTITIONS.byMac);
  probeActivity(probes, persistent);

  const statsByMac = probes
    .groupByKey()
    .aggregate<ProbeStats>(emptyStats, (_mac, probe, stats) => addProbe(stats, probe), {
      storeName: STORES.statsByMac,
      valueSerde: probeStatsSerde(),
      persistent,
    });

  const devices = builder.table<string, DeviceRecord>(topics.devices, {
    valueSerde: deviceSerde(),
    materialized: STORES.devices,
  });
  const enriched = probes.leftJoin(
    devices,
    (probe, device): EnrichedProbe => ({ ...probe, deviceName: device?.name ?? null }),
    { valueSerde: probeSerde() },
  );

  statsByName(statsByMac, devices, STORES.statsByName, persistent);

  // The watch list is small and read whole by every instance: probes join it on their SSID where they are,
  // with no repartition by SSID.
  const alertList = builder.globalTable<string, SsidAlertEntry>(topics.ssidAlertList, {
    valueSerde: ssidAlertSerde(),
    materialized: STORES.ssidAlertList,
  });
  const alerts = enriched
    .filter((_mac, probe) => probe.ssid !== null && probe.ssid !== '')
    .join(
      alertList,
      (_mac, probe) => probe.ssid as string,
      (probe, entry): Alert => ({
        ts: new Date(probe.timestamp).toISOString(),
        mac: probe.mac,
        ssid: probe.ssid as string,
        reason: entry.reason,
        deviceName: probe.deviceName,
      }),
      { valueSerde: Serdes.Json<Alert>() },
    );
  // Alerts stay keyed by MAC, so each (MAC, SSID) pair is counted in one task.
  const windowMs = options.alertSuppressWindowMs ?? 0;
  if (windowMs > 0) builder.addStateStore(alertWindowsStore(windowMs, persistent));
  const kept =
    windowMs > 0 ? alerts.process(alertSuppressor(windowMs), { stores: [ALERT_WINDOWS_STORE] }) : alerts;
  kept.to(topics.alerts, { keySerde: Serdes.String(), valueSerde: Serdes.Json<Alert>() });

  return builder.build();
}
