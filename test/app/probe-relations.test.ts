import { describe, expect, it } from 'vitest';
import { probeRelations } from '../../src/app/probe-relations.js';
import { TOPICS } from '../../src/probes/schemas.js';
import { buildProbeTopology } from '../../src/probes/topology.js';
import type { Relation } from '../../src/topology/index.js';

const catalog = probeRelations({
  topology: buildProbeTopology({ persistent: false }),
  topics: TOPICS,
  applicationId: 'app',
});
const relation = (name: string) => catalog.get(name) as Relation;
const read = (name: string, value: unknown, key: string | null = null, timestamp = 5) =>
  relation(name).row(
    key,
    relation(name).valueSerde.deserialize(Buffer.from(JSON.stringify(value))),
    timestamp,
  );

describe("the probe application's relations", () => {
  it('declares the seed catalogue, with the changelogs as the tables’ changes', () => {
    expect(catalog.list().map((r) => `${r.kind} ${r.name} ${r.topic}`)).toEqual([
      'STREAM PCAP_RAW pcap',
      'STREAM PCAP_PROBE pcap',
      'TABLE PCAP_STATS_01 app-pcap-stats-changelog',
      'TABLE PCAP_STATS_ENRICHED_01 app-pcap-stats-by-name-changelog',
      'TABLE DEVICES devices',
      'TABLE SSID_ALERT_LIST ssid_alert_list',
    ]);
    expect(relation('DEVICES').keyColumn).toBe('MAC');
  });

  it('reads a tshark 3.6 frame: hex subtype as a number, hex SSID as text, signal as a double', () => {
    const frame = {
      timestamp: '1587564340123',
      wlan_fc_type_subtype: ['0x0004'],
      wlan_radio_signal_dbm: ['-67'],
      wlan_sa: ['a4:83:e7:4e:39:15'],
      wlan_ssid: ['524e4d30'],
    };
    expect(read('PCAP_PROBE', frame)).toEqual({
      key: null,
      rowtime: 1_587_564_340_123,
      columns: {
        TIMESTAMP: 1_587_564_340_123,
        WLAN_FC_TYPE_SUBTYPE: [4],
        WLAN_RADIO_SIGNAL_DBM: [-67],
        WLAN_SA: ['a4:83:e7:4e:39:15'],
        WLAN_DA: null,
        WLAN_BSSID: null,
        WLAN_SSID: ['RNM0'],
      },
    });
  });

  it('keeps other frames in PCAP_RAW only, and falls back to the record time without a timestamp', () => {
    const beacon = { wlan_fc_type_subtype: ['8'], wlan_sa: ['x'] };
    expect(read('PCAP_PROBE', beacon)).toBeUndefined();
    expect(read('PCAP_RAW', beacon, 'k', 42)).toMatchObject({
      key: 'k',
      rowtime: 42,
      columns: { TIMESTAMP: null, WLAN_FC_TYPE_SUBTYPE: [8] },
    });
  });

  it('shows PCAP_STATS_01 times in the time zone and PCAP_STATS_ENRICHED_01 times in epoch ms', () => {
    const stats = {
      probeCount: 2,
      firstProbe: 1_587_564_340_123,
      lastProbe: 1_587_564_400_123,
      ssidsProbed: [null, 'RNM0'],
    };
    // Columns are read by name, as a query reads them (some are getters: a scan builds one row per device).
    const byName = (name: string, key: string) => {
      const columns = relation(name).row(key, stats, 0)?.columns ?? {};
      return Object.fromEntries(relation(name).columns.map(({ name: column }) => [column, columns[column]]));
    };
    expect(byName('PCAP_STATS_01', 'a4:83:e7:4e:39:15')).toEqual({
      PROBE_COUNT: 2,
      FIRST_PROBE: '2020-04-22 15:05:40',
      LAST_PROBE: '2020-04-22 15:06:40',
      UNIQUE_SSIDS_PROBED: 2,
      SSIDS_PROBED: [null, 'RNM0'],
    });
    expect(byName('PCAP_STATS_ENRICHED_01', 'iPad')).toMatchObject({
      FIRST_PROBE: 1_587_564_340_123,
    });
  });
});
