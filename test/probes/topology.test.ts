import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Alert,
  type DeviceRecord,
  deviceSerde,
  type ProbeStats,
  STORES,
  ssidAlertSerde,
} from '../../src/probes/schemas.js';
import { pcapValueOf } from '../../src/probes/serdes.js';
import { buildProbeTopology } from '../../src/probes/topology.js';
import { Serdes, TopologyTestDriver } from '../../src/topology/index.js';

const T0 = 1_587_564_340_123;
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';

function device(mac: string, name: string): DeviceRecord {
  return { mac, source: 'user', name, ip: null, model: 'Apple', type: null, is_guest: false };
}

/** A probe request as tshark 3.4 and older wrote it (and probestream's readers write it). */
function probe(mac: string, ssid: string | null, timestamp: number) {
  return pcapValueOf({ mac, ssid, timestamp, signalDbm: -67 });
}

describe('the probe topology', () => {
  let driver: TopologyTestDriver;

  beforeEach(() => {
    driver = new TopologyTestDriver(buildProbeTopology({ persistent: false }), { applicationId: 'app' });
  });

  afterEach(async () => {
    await driver.close();
  });

  const stats = (mac: string) => driver.getKeyValueStore<string, ProbeStats>(STORES.statsByMac).get(mac);
  const statsByName = (name: string) =>
    driver.getKeyValueStore<string, ProbeStats>(STORES.statsByName).get(name);
  const pipeJson = (key: string | null, value: unknown, timestamp = 0) =>
    driver.pipeRaw(
      'pcap',
      key === null ? null : Buffer.from(key),
      Buffer.from(JSON.stringify(value)),
      timestamp,
    );

  it('counts probe requests per MAC with event-time first and last probe and the set of SSIDs', async () => {
    await pipeJson(null, probe(PHONE, 'RNM0', T0 + 1000));
    await pipeJson(PHONE, probe(PHONE, '', T0)); // arrives late: still the first probe
    await pipeJson(null, probe(PHONE, null, T0 + 500));
    await pipeJson('some-other-key', probe(PHONE, 'RNM0', T0 + 2000));
    await pipeJson(null, probe(LAPTOP, 'eduroam', T0 + 10));

    expect(stats(PHONE)).toEqual({
      probeCount: 4,
      firstProbe: T0,
      lastProbe: T0 + 2000,
      ssidsProbed: [null, '', 'RNM0'],
    });
    expect(stats(LAPTOP)).toEqual({
      probeCount: 1,
      firstProbe: T0 + 10,
      lastProbe: T0 + 10,
      ssidsProbed: ['eduroam'],
    });
  });

  it('reads records as tshark 3.6+ writes them: hex subtype, hex SSID, <MISSING> for a wildcard', async () => {
    const frame = (ssid: string | undefined, ts: number) => ({
      timestamp: String(ts),
      wlan_fc_type_subtype: ['0x0004'],
      wlan_radio_signal_dbm: ['-70'],
      wlan_sa: ['A4-83-E7-4E-39-15'],
      ...(ssid === undefined ? {} : { wlan_ssid: [ssid] }),
    });
    await pipeJson(null, frame('524e4d30', T0));
    await pipeJson(null, frame('<MISSING>', T0 + 1));
    await pipeJson(null, frame(undefined, T0 + 2));
    await pipeJson(null, frame('436166c3a9', T0 + 3));

    expect(stats(PHONE)).toEqual({
      probeCount: 4,
      firstProbe: T0,
      lastProbe: T0 + 3,
      ssidsProbed: [null, '', 'Café', 'RNM0'],
    });
  });

  it('accepts numbers and bare values from producers other than tshark', async () => {
    await pipeJson(null, { timestamp: T0, wlan_fc_type_subtype: 4, wlan_sa: PHONE, wlan_ssid: 'RNM0' });
    expect(stats(PHONE)).toEqual({ probeCount: 1, firstProbe: T0, lastProbe: T0, ssidsProbed: ['RNM0'] });
  });

  it('filters frames that are not probe requests without sending them to the DLQ', async () => {
    await pipeJson(null, {
      timestamp: String(T0),
      wlan_fc_type_subtype: ['8'],
      wlan_sa: [PHONE],
      wlan_ssid: ['x'],
    });
    await pipeJson(null, { timestamp: String(T0), wlan_fc_type_subtype: ['0x0028'], wlan_sa: [PHONE] });
    await pipeJson(null, { timestamp: null }); // the original pipeline's line for tshark's EK index line
    await pipeJson(null, probe(PHONE, 'RNM0', T0));

    expect(stats(PHONE)?.probeCount).toBe(1);
    expect(driver.createOutputTopic('app-dlq').isEmpty()).toBe(true);
  });

  it('sends unreadable records to the DLQ with their reason and goes on', async () => {
    await driver.pipeRaw('pcap', null, Buffer.from('{not json'), T0);
    await pipeJson(null, { timestamp: String(T0), wlan_sa: [PHONE] });
    await pipeJson(null, { timestamp: String(T0), wlan_fc_type_subtype: ['4'], wlan_sa: ['not-a-mac'] });
    await pipeJson(null, { timestamp: 'yesterday', wlan_fc_type_subtype: ['4'], wlan_sa: [PHONE] });
    await pipeJson(null, probe(PHONE, 'RNM0', T0));

    const dlq = driver.createOutputTopic<string, string>('app-dlq', Serdes.String(), Serdes.String());
    const reasons = dlq.readRecordsToList().map((r) => String(r.headers['probestream.error.message']));
    expect(reasons).toEqual([
      expect.stringMatching(/^Cannot read a pcap record from topic pcap: not UTF-8 JSON/),
      'Cannot read a pcap record from topic pcap: wlan_fc_type_subtype null is not a frame type/subtype',
      'Cannot read a pcap record from topic pcap: wlan_sa ["not-a-mac"] is not a MAC address',
      'Cannot read a pcap record from topic pcap: timestamp "yesterday" is not epoch milliseconds',
    ]);
    expect(stats(PHONE)?.probeCount).toBe(1);
  });

  it('sends SSIDs longer than 32 bytes and records over 64 KiB to the DLQ, uncounted', async () => {
    const ssid32 = 'é'.repeat(16); // 32 bytes: the longest SSID 802.11 allows
    await pipeJson(null, probe(PHONE, ssid32, T0));
    await pipeJson(null, probe(PHONE, `${ssid32}x`, T0 + 1));
    await pipeJson(null, {
      timestamp: String(T0 + 2),
      wlan_fc_type_subtype: ['0x0004'],
      wlan_sa: [PHONE],
      wlan_ssid: ['41'.repeat(33)],
    });
    // The record: a 200,000-character SSID.
    await pipeJson(null, {
      timestamp: '1587222267000',
      wlan_fc_type_subtype: ['4'],
      wlan_sa: ['02:00:00:00:00:97'],
      wlan_ssid: ['x'.repeat(200_000)],
    });

    const dlq = driver.createOutputTopic<string, string>('app-dlq', Serdes.String(), Serdes.String());
    const reasons = dlq.readRecordsToList().map((r) => String(r.headers['probestream.error.message']));
    expect(reasons).toEqual([
      'Cannot read a pcap record from topic pcap: wlan_ssid is 33 bytes long; an 802.11 SSID has at most 32',
      'Cannot read a pcap record from topic pcap: wlan_ssid is 33 bytes long; an 802.11 SSID has at most 32',
      'Cannot read a pcap record from topic pcap: 200107 bytes is more than the 65536 a record may have (maxPcapRecordBytes)',
    ]);
    expect(stats(PHONE)).toEqual({ probeCount: 1, firstProbe: T0, lastProbe: T0, ssidsProbed: [ssid32] });
    expect(stats('02:00:00:00:00:97')).toBeUndefined();
  });

  it("stats by name cover each device's whole history: named after the fact, renamed, shared, unnamed", async () => {
    const devices = driver.createInputTopic('devices', Serdes.String(), deviceSerde());
    await pipeJson(null, probe(PHONE, 'RNM0', T0));
    await pipeJson(null, probe(PHONE, null, T0 + 1));
    await pipeJson(null, probe(LAPTOP, 'eduroam', T0 + 5));
    await pipeJson(null, probe('00:00:00:00:00:99', 'RNM0', T0 + 9)); // never named
    expect(statsByName('Kitchen iPad')).toBeUndefined();

    // Named after its probes: all of them count under the name.
    await devices.pipeInput(PHONE, device(PHONE, 'Kitchen iPad'));
    expect(statsByName('Kitchen iPad')).toEqual(stats(PHONE));
    expect(statsByName('Kitchen iPad')?.probeCount).toBe(2);

    // A second device with the same name: the two add up.
    await devices.pipeInput(LAPTOP, device(LAPTOP, 'Kitchen iPad'));
    await pipeJson(null, probe(LAPTOP, 'other', T0 + 20));
    expect(statsByName('Kitchen iPad')).toEqual({
      probeCount: 4,
      firstProbe: T0,
      lastProbe: T0 + 20,
      ssidsProbed: [null, 'RNM0', 'eduroam', 'other'],
    });

    // A rename moves the device's probes, all of them, to the new name.
    await devices.pipeInput(LAPTOP, device(LAPTOP, 'Study laptop'));
    expect(statsByName('Kitchen iPad')).toEqual(stats(PHONE));
    expect(statsByName('Study laptop')).toEqual(stats(LAPTOP));

    // Unnamed (deleted from the table): its name goes, with the name's last device.
    await devices.pipeInput(LAPTOP, null);
    expect(statsByName('Study laptop')).toBeUndefined();
    await devices.pipeInput(PHONE, { ...device(PHONE, 'x'), name: null });
    expect(statsByName('Kitchen iPad')).toBeUndefined();
    expect(stats(LAPTOP)?.probeCount).toBe(2);
  });

  it('alerts when a device probes for a watched SSID, with its name when known, until unwatched', async () => {
    const devices = driver.createInputTopic('devices', Serdes.String(), deviceSerde());
    const watched = driver.createInputTopic('ssid_alert_list', Serdes.String(), ssidAlertSerde());
    const alerts = driver.createOutputTopic<string, Alert>('alerts');
    await devices.pipeInput(PHONE, device(PHONE, '<b>Kitchen</b> & iPad'));
    await watched.pipeInput('RNM0', { reason: 'home network of a suspect' });

    await pipeJson(null, probe(PHONE, 'RNM0', T0));
    await pipeJson(null, probe(LAPTOP, 'RNM0', T0 + 1));
    await pipeJson(null, probe(PHONE, 'eduroam', T0 + 2));
    await watched.pipeInput('RNM0', null);
    await pipeJson(null, probe(PHONE, 'RNM0', T0 + 3));

    expect(
      alerts.readRecordsToList().map(({ key, value, timestamp }) => ({ key, value, timestamp })),
    ).toEqual([
      {
        key: PHONE,
        timestamp: T0,
        value: {
          ts: '2020-04-22T14:05:40.123Z',
          mac: PHONE,
          ssid: 'RNM0',
          reason: 'home network of a suspect',
          deviceName: '<b>Kitchen</b> & iPad',
        },
      },
      {
        key: LAPTOP,
        timestamp: T0 + 1,
        value: {
          ts: '2020-04-22T14:05:40.124Z',
          mac: LAPTOP,
          ssid: 'RNM0',
          reason: 'home network of a suspect',
          deviceName: null,
        },
      },
    ]);
  });
});
