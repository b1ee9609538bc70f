import { afterAll, describe, expect, it } from 'vitest';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { uniqueName } from '../../support/kafka.js';
import {
  getJson as get,
  startTestProbeApp,
  type TestProbeApp,
  uniqueProbeTopics,
  waitForGroup,
} from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAY0 = Date.UTC(2026, 2, 10);
const DEVICES = 8;
const macOf = (i: number) => `3c:22:fb:00:00:${i.toString(16).padStart(2, '0')}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** Each device: two probes 2 minutes apart, one an hour later, one the next day: three sessions. */
function probesOf(i: number) {
  const mac = macOf(i);
  return [
    { mac, ssid: `home-${i}`, timestamp: DAY0 + 10 * MINUTE },
    { mac, ssid: 'cafe', timestamp: DAY0 + 12 * MINUTE },
    { mac, ssid: null, timestamp: DAY0 + HOUR + 5 * MINUTE },
    { mac, ssid: `home-${i}`, timestamp: DAY0 + DAY + 30 * MINUTE },
  ].map((probe) => JSON.stringify(pcapValueOf({ ...probe, signalDbm: -60 })));
}

const frame = (subtype: string, timestamp: number) =>
  JSON.stringify({
    timestamp: String(timestamp),
    wlan_fc_type_subtype: [subtype],
    wlan_sa: ['00:11:22:33:44:55'],
  });

/** Five beacons on day 0 (tshark 3.6+'s hex form), two probe responses on day 1. */
const OTHER_FRAMES = [
  ...[0, 1, 2, 3, 4].map((h) => frame('0x0008', DAY0 + h * HOUR)),
  frame('5', DAY0 + DAY + 1000),
  frame('5', DAY0 + DAY + 2000),
];

const activityOf = (i: number, window: '1h' | '1d') => ({
  mac: macOf(i),
  window,
  buckets:
    window === '1h'
      ? [
          { start: iso(DAY0), end: iso(DAY0 + HOUR), probeCount: 2 },
          { start: iso(DAY0 + HOUR), end: iso(DAY0 + 2 * HOUR), probeCount: 1 },
          { start: iso(DAY0 + DAY), end: iso(DAY0 + DAY + HOUR), probeCount: 1 },
        ]
      : [
          { start: iso(DAY0), end: iso(DAY0 + DAY), probeCount: 3 },
          { start: iso(DAY0 + DAY), end: iso(DAY0 + 2 * DAY), probeCount: 1 },
        ],
});

const sessionsOf = (i: number) => ({
  mac: macOf(i),
  sessions: [
    {
      start: iso(DAY0 + 10 * MINUTE),
      end: iso(DAY0 + 12 * MINUTE),
      probeCount: 2,
      ssids: ['cafe', `home-${i}`],
    },
    {
      start: iso(DAY0 + HOUR + 5 * MINUTE),
      end: iso(DAY0 + HOUR + 5 * MINUTE),
      probeCount: 1,
      ssids: [null],
    },
    {
      start: iso(DAY0 + DAY + 30 * MINUTE),
      end: iso(DAY0 + DAY + 30 * MINUTE),
      probeCount: 1,
      ssids: [`home-${i}`],
    },
  ],
});

const DAILY_FRAMES = {
  from: iso(DAY0),
  to: iso(DAY0 + 2 * DAY - 1),
  frames: [
    {
      day: '2026-03-10',
      subtype: 4,
      count: 3 * DEVICES,
      first: iso(DAY0 + 10 * MINUTE),
      last: iso(DAY0 + HOUR + 5 * MINUTE),
    },
    { day: '2026-03-10', subtype: 8, count: 5, first: iso(DAY0), last: iso(DAY0 + 4 * HOUR) },
    {
      day: '2026-03-11',
      subtype: 4,
      count: DEVICES,
      first: iso(DAY0 + DAY + 30 * MINUTE),
      last: iso(DAY0 + DAY + 30 * MINUTE),
    },
    { day: '2026-03-11', subtype: 5, count: 2, first: iso(DAY0 + DAY + 1000), last: iso(DAY0 + DAY + 2000) },
  ],
};

const RANGE = `from=${encodeURIComponent('2026-03-10T00:00:00Z')}&to=${DAY0 + 2 * DAY - 1}`;

describe('windowed views through the API of two instances, on the real broker', () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  const applicationId = uniqueName('windows-app');
  const instances: TestProbeApp[] = [];
  const start = async () => {
    const instance = await startTestProbeApp(context.kafka, {
      topics,
      applicationId,
      partitions: 4,
      streams: { numStandbyReplicas: 1 },
    });
    instances.push(instance);
    return instance;
  };
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.app.close()));
  });

  /** Every view of every device, asked of `instance`; and who answered each. */
  async function everyView(instance: TestProbeApp) {
    const views: unknown[] = [];
    const servedBy = new Set<string>();
    for (let i = 0; i < DEVICES; i++) {
      for (const path of [
        `/devices/${macOf(i)}/activity?window=1h&${RANGE}`,
        `/devices/${macOf(i).toUpperCase()}/activity?window=1d&${RANGE}`,
        `/devices/${macOf(i)}/sessions?${RANGE}`,
      ]) {
        const answer = await get(instance.url, path);
        views.push(answer.status === 200 ? answer.body : answer);
        servedBy.add(answer.headers.get('x-probestream-served-by') ?? '');
      }
    }
    views.push((await get(instance.url, `/frames/daily?${RANGE}`)).body);
    return { views, servedBy };
  }
  const expectedViews = [
    ...Array.from({ length: DEVICES }, (_, i) => [
      activityOf(i, '1h'),
      activityOf(i, '1d'),
      sessionsOf(i),
    ]).flat(),
    DAILY_FRAMES,
  ];

  it('answers activity, sessions and daily frames exactly from either instance, forwarding what the other owns', async () => {
    const [a, b] = [await start(), await start()];
    await waitForGroup([a, b]);
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.pcap,
      messages: [...Array.from({ length: DEVICES }, (_, i) => probesOf(i)).flat(), ...OTHER_FRAMES].map(
        (value) => ({ key: null, value }),
      ),
    });
    await producer.disconnect();

    const fromA = await eventually(
      () => everyView(a),
      (got) => JSON.stringify(got.views) === JSON.stringify(expectedViews),
    );
    expect(fromA.views).toEqual(expectedViews);
    expect([...fromA.servedBy].sort()).toEqual([a.self, b.self].sort());
    const fromB = await everyView(b);
    expect(fromB.views).toEqual(expectedViews);

    // A device never seen has no windows; ranges default to the last day (or 30 days, 7 for frames).
    expect((await get(b.url, '/devices/00:00:00:00:00:01/activity')).body).toEqual({
      mac: '00:00:00:00:00:01',
      window: '1h',
      buckets: [],
    });
    const docs = (await get(a.url, '/docs/json')).body;
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining(['/devices/{mac}/activity', '/devices/{mac}/sessions', '/frames/daily']),
    );
    expect((await get(a.url, '/devices/00:00:00:00:00:01/sessions')).body).toEqual({
      mac: '00:00:00:00:00:01',
      sessions: [],
    });
  });

  it('refuses bad parameters with a 400 that says what is wrong', async () => {
    const [a] = instances as [TestProbeApp];
    const cases: [string, string, RegExp][] = [
      [`/devices/${macOf(0)}/activity?window=1w`, 'INVALID_REQUEST', /window/],
      [`/devices/not-a-mac/activity`, 'INVALID_MAC', /six hex pairs/],
      [`/devices/${macOf(0)}/activity?from=yesterday`, 'INVALID_REQUEST', /from must be an ISO-8601 time/],
      [`/devices/${macOf(0)}/activity?from=2026-02-30`, 'INVALID_REQUEST', /from must be/],
      [`/devices/${macOf(0)}/activity?from=2026-01-01&to=2026-03-01`, 'INVALID_REQUEST', /at most 31 days/],
      [
        `/devices/${macOf(0)}/activity?window=1d&from=2024-01-01&to=2026-01-01`,
        'INVALID_REQUEST',
        /366 days/,
      ],
      [`/devices/${macOf(0)}/sessions?from=2026-03-11&to=2026-03-10`, 'INVALID_REQUEST', /is after to/],
      [`/frames/daily?from=2020-01-01&to=2026-01-01`, 'INVALID_REQUEST', /366 days/],
      [`/frames/daily?to=${'9'.repeat(17)}`, 'INVALID_REQUEST', /to must be/],
    ];
    for (const [path, code, message] of cases) {
      const answer = await get(a.url, path);
      expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({
        path,
        status: 400,
        code,
      });
      expect(answer.body.error.message).toMatch(message);
    }
  });

  it("serves a stopped instance's devices from the other after the rebalance, from its standbys' copies", async () => {
    const [a, b] = instances as [TestProbeApp, TestProbeApp];
    await a.app.close();
    const answers = await eventually(
      () => everyView(b),
      (got) =>
        JSON.stringify(got.views) === JSON.stringify(expectedViews) &&
        got.servedBy.size === 1 &&
        got.servedBy.has(b.self),
      45_000,
    );
    expect(answers.views).toEqual(expectedViews);
  });

  it('restores the window and session stores from their changelogs on a new instance with no state', async () => {
    await Promise.all(instances.splice(0).map((i) => i.app.close()));
    // A fresh state folder: everything it answers was read back from the changelogs (the input is committed).
    const c = await start();
    await waitForGroup([c]);
    const answers = await eventually(
      () => everyView(c),
      (got) => JSON.stringify(got.views) === JSON.stringify(expectedViews),
    );
    expect(answers.views).toEqual(expectedViews);
    expect([...answers.servedBy]).toEqual([c.self]);
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    for (const store of ['probe-activity-1h', 'probe-activity-1d', 'probe-sessions', 'frames-daily']) {
      const restored = [
        ...metrics.matchAll(
          new RegExp(`^probestream_restored_records_total\\{[^}]*store="${store}"[^}]*\\} (\\d+)`, 'gm'),
        ),
      ].reduce((n, m) => n + Number(m[1]), 0);
      expect({ store, restored: restored > 0 }).toEqual({ store, restored: true });
    }
  });
});
