import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, ssidAlertSerde } from '../../src/probes/schemas.js';
import { pcapValueOf } from '../../src/probes/serdes.js';
import { buildProbeTopology } from '../../src/probes/topology.js';
import { Serdes, TopologyTestDriver } from '../../src/topology/index.js';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;
const T0 = 1_587_564_000_000; // 14:00:00 UTC, on a window boundary
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

async function suppressing(windowMs: number) {
  const driver = new TopologyTestDriver(
    buildProbeTopology({ persistent: false, alertSuppressWindowMs: windowMs }),
    {
      applicationId: 'app',
    },
  );
  drivers.push(driver);
  await driver.createInputTopic('ssid_alert_list', Serdes.String(), ssidAlertSerde()).pipeInput('eduroam', {
    reason: 'watched',
  });
  const probe = (mac: string, ssid: string, timestamp: number) =>
    driver.pipeRaw(
      'pcap',
      null,
      Buffer.from(JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 }))),
      timestamp,
    );
  const alerts = () =>
    driver
      .createOutputTopic<string, Alert>('alerts')
      .readRecordsToList()
      .map(({ value }) => [value?.mac, value?.ts.slice(11, 19), value?.suppressed]);
  return { driver, probe, alerts };
}

describe('alert suppression', () => {
  it('alerts once per MAC and SSID per window, and says how many probes the previous window kept quiet', async () => {
    const { driver, probe, alerts } = await suppressing(WINDOW);
    // A phone probing eduroam every 5 seconds for 40 minutes: 480 probes, windows at 14:00, 14:15, 14:30.
    for (let i = 0; i < 480; i++) await probe(PHONE, 'eduroam', T0 + i * 5000);
    await probe(LAPTOP, 'eduroam', T0 + 20 * MINUTE);
    await probe(PHONE, 'other', T0 + 20 * MINUTE);
    expect(alerts()).toEqual([
      [PHONE, '14:00:00', 0],
      [PHONE, '14:15:00', 179],
      [PHONE, '14:30:00', 179],
      [LAPTOP, '14:20:00', 0],
    ]);
    const dropped = driver.droppedRecords();
    expect(dropped.get('alert-suppressed')).toBe(480 - 3);
  });

  it('does not alert twice for a probe that arrives out of order within the retained windows', async () => {
    const { driver, probe, alerts } = await suppressing(WINDOW);
    await probe(PHONE, 'eduroam', T0 + 20 * MINUTE);
    await probe(PHONE, 'eduroam', T0 + 16 * MINUTE); // same window, earlier
    await probe(PHONE, 'eduroam', T0 + 5 * MINUTE); // the previous window: its first probe alerts
    await probe(PHONE, 'eduroam', T0 + 6 * MINUTE);
    await probe(PHONE, 'eduroam', T0 + 200 * MINUTE);
    await probe(PHONE, 'eduroam', T0 + 7 * MINUTE); // long past the retained windows: dropped as late
    expect(alerts()).toEqual([
      [PHONE, '14:20:00', 0],
      [PHONE, '14:05:00', 0],
      [PHONE, '17:20:00', 0],
    ]);
    expect(driver.droppedRecords()).toEqual(
      new Map([
        ['alert-suppressed', 2],
        ['late', 1],
      ]),
    );
  });

  it('window 0 alerts on every probe, as without suppression', async () => {
    const { probe, alerts } = await suppressing(0);
    for (let i = 0; i < 5; i++) await probe(PHONE, 'eduroam', T0 + i);
    const list = alerts();
    expect(list).toHaveLength(5);
    expect(list.every(([, , suppressed]) => suppressed === undefined)).toBe(true);
  });
});
