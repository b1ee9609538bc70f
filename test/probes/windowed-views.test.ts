import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeStats } from '../../src/probes/schemas.js';
import { pcapValueOf } from '../../src/probes/serdes.js';
import { buildProbeTopology } from '../../src/probes/topology.js';
import {
  DAY_MS,
  type FrameDay,
  HOUR_MS,
  RETENTION_MS,
  WINDOWED_STORES,
} from '../../src/probes/windowed-views.js';
import { TopologyTestDriver } from '../../src/topology/index.js';

const DAY0 = Date.UTC(2026, 2, 10);
const MINUTE = 60_000;
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('the probe topology’s windowed views', () => {
  let driver: TopologyTestDriver;

  beforeEach(() => {
    driver = new TopologyTestDriver(buildProbeTopology({ persistent: false }), { applicationId: 'app' });
  });
  afterEach(async () => {
    await driver.close();
  });

  const pipe = (value: unknown, recordTime = 0) =>
    driver.pipeRaw('pcap', null, Buffer.from(JSON.stringify(value)), recordTime);
  const probe = (mac: string, ssid: string | null, timestamp: number) =>
    pipe(pcapValueOf({ mac, ssid, timestamp, signalDbm: null }));
  const frame = (subtype: string, timestamp: number | undefined, recordTime = 0) =>
    pipe(
      {
        ...(timestamp === undefined ? {} : { timestamp: String(timestamp) }),
        wlan_fc_type_subtype: [subtype],
        wlan_sa: ['00:11:22:33:44:55'],
      },
      recordTime,
    );

  it('counts each MAC’s probe requests per hour and per UTC day', async () => {
    await probe(PHONE, 'eduroam', DAY0 + 10 * MINUTE);
    await probe(PHONE, 'eduroam', DAY0 + 59 * MINUTE);
    await probe(PHONE, null, DAY0 + HOUR_MS);
    await probe(PHONE, 'home', DAY0 + DAY_MS + 5 * MINUTE);
    await probe(LAPTOP, 'eduroam', DAY0 + 30 * MINUTE);
    const hours = driver.getWindowStore<string, number>(WINDOWED_STORES.activityHourly);
    expect(await collect(hours.fetch(PHONE, DAY0, DAY0 + 2 * DAY_MS))).toEqual([
      { key: DAY0, value: 2 },
      { key: DAY0 + HOUR_MS, value: 1 },
      { key: DAY0 + DAY_MS, value: 1 },
    ]);
    const days = driver.getWindowStore<string, number>(WINDOWED_STORES.activityDaily);
    expect(await collect(days.fetch(PHONE, DAY0 - DAY_MS, DAY0 + 2 * DAY_MS))).toEqual([
      { key: DAY0, value: 3 },
      { key: DAY0 + DAY_MS, value: 1 },
    ]);
    expect(days.fetch(LAPTOP, DAY0)).toBe(1);
  });

  it('splits a MAC’s probes into sessions by 5 minutes without one, with count, times and SSIDs', async () => {
    await probe(PHONE, 'eduroam', DAY0);
    await probe(PHONE, 'home', DAY0 + 4 * MINUTE);
    await probe(PHONE, null, DAY0 + 8 * MINUTE);
    // More than 5 minutes later: a new session.
    await probe(PHONE, 'cafe', DAY0 + 14 * MINUTE);
    // Late, between the two: within 5 minutes of both, so it joins them into one.
    const sessions = driver.getSessionStore<string, ProbeStats>(WINDOWED_STORES.sessions);
    expect(sessions.fetch(PHONE).map((s) => [s.key.window, s.value])).toEqual([
      [
        { start: DAY0, end: DAY0 + 8 * MINUTE },
        {
          probeCount: 3,
          firstProbe: DAY0,
          lastProbe: DAY0 + 8 * MINUTE,
          ssidsProbed: [null, 'eduroam', 'home'],
        },
      ],
      [
        { start: DAY0 + 14 * MINUTE, end: DAY0 + 14 * MINUTE },
        {
          probeCount: 1,
          firstProbe: DAY0 + 14 * MINUTE,
          lastProbe: DAY0 + 14 * MINUTE,
          ssidsProbed: ['cafe'],
        },
      ],
    ]);
    await probe(PHONE, 'home', DAY0 + 11 * MINUTE);
    expect(sessions.fetch(PHONE).map((s) => [s.key.window, s.value.probeCount, s.value.ssidsProbed])).toEqual(
      [[{ start: DAY0, end: DAY0 + 14 * MINUTE }, 5, [null, 'cafe', 'eduroam', 'home']]],
    );
  });

  it('counts every frame per UTC day and type/subtype, with first and last time', async () => {
    await probe(PHONE, 'eduroam', DAY0 + 3 * HOUR_MS);
    await frame('8', DAY0 + HOUR_MS); // beacon
    await frame('0x0008', DAY0 + 2 * HOUR_MS); // beacon, as tshark 3.6+ writes it
    await frame('8', DAY0 + DAY_MS + 1);
    await frame('5', DAY0 + 7); // probe response
    // No readable time: counted at the record's.
    await frame('13', undefined, DAY0 + 5 * HOUR_MS);
    // Not a type/subtype a frame control field can carry: not counted.
    await frame('4711', DAY0);
    const days = driver.getWindowStore<string, FrameDay>(WINDOWED_STORES.framesDaily);
    const all = await collect(days.fetchAll(DAY0 - DAY_MS, DAY0 + DAY_MS));
    const table = all
      .map((e) => [(e.key.window.start - DAY0) / DAY_MS, e.key.key, e.value] as const)
      .sort((a, b) => a[0] - b[0] || Number(a[1]) - Number(b[1]));
    expect(table).toEqual([
      [0, '4', { count: 1, first: DAY0 + 3 * HOUR_MS, last: DAY0 + 3 * HOUR_MS }],
      [0, '5', { count: 1, first: DAY0 + 7, last: DAY0 + 7 }],
      [0, '8', { count: 2, first: DAY0 + HOUR_MS, last: DAY0 + 2 * HOUR_MS }],
      [0, '13', { count: 1, first: DAY0 + 5 * HOUR_MS, last: DAY0 + 5 * HOUR_MS }],
      [1, '8', { count: 1, first: DAY0 + DAY_MS + 1, last: DAY0 + DAY_MS + 1 }],
    ]);
  });

  it('takes probes as late as the retention, drops older ones as late, and forgets hours after 7 days', async () => {
    await probe(PHONE, 'a', DAY0);
    await probe(PHONE, 'a', DAY0 + 10 * DAY_MS);
    // Six days behind the latest: within the hours' retention, so counted.
    await probe(PHONE, 'a', DAY0 + 4 * DAY_MS);
    const hours = driver.getWindowStore<string, number>(WINDOWED_STORES.activityHourly);
    expect(hours.fetch(PHONE, DAY0)).toBeUndefined();
    expect(await collect(hours.fetch(PHONE, 0, DAY0 + 11 * DAY_MS))).toEqual([
      { key: DAY0 + 4 * DAY_MS, value: 1 },
      { key: DAY0 + 10 * DAY_MS, value: 1 },
    ]);
    // Days keep 90 days: all three.
    const days = driver.getWindowStore<string, number>(WINDOWED_STORES.activityDaily);
    expect((await collect(days.fetch(PHONE, 0, DAY0 + 11 * DAY_MS))).map((e) => e.value)).toEqual([1, 1, 1]);
    expect(RETENTION_MS.activityHourly).toBe(7 * DAY_MS);
    // Eight days behind: older than hours and sessions keep, dropped by both (each counted as late), but its
    // day still counts.
    await probe(PHONE, 'a', DAY0 + 2 * DAY_MS);
    expect(driver.droppedRecords().get('late')).toBe(2);
    expect(days.fetch(PHONE, DAY0 + 2 * DAY_MS)).toBe(1);
  });
});
