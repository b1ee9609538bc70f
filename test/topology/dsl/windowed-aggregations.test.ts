import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  SessionWindows,
  StreamsBuilder,
  TimeWindows,
  type Topology,
  TopologyTestDriver,
  type Windowed,
  WindowedSerdes,
} from '../../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
function drive(topology: Topology): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
  drivers.push(driver);
  return driver;
}
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

const MINUTE = 60_000;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function countsPerWindow(windows: TimeWindows, retentionMs?: number): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('clicks', { valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(windows)
    .count({ storeName: 'clicks-per-window', ...(retentionMs ? { retentionMs } : {}) })
    .toStream()
    .to('counts', {
      keySerde: WindowedSerdes.timeWindowed(Serdes.String(), windows.sizeMs),
      valueSerde: Serdes.Long(),
    });
  return builder.build();
}

describe('time-windowed aggregation', () => {
  it('counts each key per tumbling window and forwards each new count keyed by key and window', async () => {
    const driver = drive(countsPerWindow(TimeWindows.ofSizeWithNoGrace(MINUTE), 10 * MINUTE));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    await input.pipeInput('alice', 'a', 1_000);
    await input.pipeInput('alice', 'b', 59_999);
    await input.pipeInput('bob', 'c', 30_000);
    await input.pipeInput('alice', 'd', 60_000);
    const out = driver.createOutputTopic(
      'counts',
      WindowedSerdes.timeWindowed(Serdes.String(), MINUTE),
      Serdes.Long(),
    );
    expect(out.readKeyValuesToList()).toEqual([
      [{ key: 'alice', window: { start: 0, end: 60_000 } }, 1],
      [{ key: 'alice', window: { start: 0, end: 60_000 } }, 2],
      [{ key: 'bob', window: { start: 0, end: 60_000 } }, 1],
      [{ key: 'alice', window: { start: 60_000, end: 120_000 } }, 1],
    ]);
    const store = driver.getWindowStore<string, number>('clicks-per-window');
    expect(store.fetch('alice', 0)).toBe(2);
    expect(await collect(store.fetch('alice', 0, 120_000))).toEqual([
      { key: 0, value: 2 },
      { key: 60_000, value: 1 },
    ]);
    expect(await collect(store.fetchAll(0, 0))).toEqual(
      expect.arrayContaining([
        { key: { key: 'alice', window: { start: 0, end: 60_000 } }, value: 2 },
        { key: { key: 'bob', window: { start: 0, end: 60_000 } }, value: 1 },
      ]),
    );
    expect(await collect(store.fetchAll(0, 120_000))).toHaveLength(3);
  });

  it('hopping windows put a record in every window that holds it', async () => {
    const driver = drive(countsPerWindow(TimeWindows.ofSizeWithNoGrace(10_000).advanceBy(5_000)));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    await input.pipeInput('k', 'x', 7_000);
    const store = driver.getWindowStore<string, number>('clicks-per-window');
    expect(await collect(store.fetch('k', 0, 20_000))).toEqual([
      { key: 0, value: 1 },
      { key: 5_000, value: 1 },
    ]);
  });

  it('takes late records within the grace period, and drops and counts those after it', async () => {
    const driver = drive(countsPerWindow(TimeWindows.ofSizeAndGrace(MINUTE, 10_000), 10 * MINUTE));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    await input.pipeInput('k', 'x', 10_000);
    await input.pipeInput('k', 'x', 65_000); // stream time 65 s: window [0, 60 s) open until 70 s
    await input.pipeInput('k', 'late but in grace', 20_000);
    await input.pipeInput('k', 'x', 70_000); // closes [0, 60 s)
    await input.pipeInput('k', 'too late', 30_000);
    await input.pipeInput('other', 'too late too', 59_000);
    const store = driver.getWindowStore<string, number>('clicks-per-window');
    expect(store.fetch('k', 0)).toBe(2);
    expect(store.fetch('other', 0)).toBeUndefined();
    expect(driver.droppedRecords()).toEqual(new Map([['late', 2]]));
  });

  it('deletes windows once stream time passes their retention, and answers none of them after', async () => {
    const driver = drive(countsPerWindow(TimeWindows.ofSizeWithNoGrace(MINUTE), 10 * MINUTE));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    for (let minute = 0; minute < 60; minute++) await input.pipeInput(`k${minute % 3}`, 'x', minute * MINUTE);
    const store = driver.getWindowStore<string, number>('clicks-per-window');
    const kept = await collect(store.fetchAll(0, 60 * MINUTE));
    // Retention 10 minutes of stream time (59 min): the windows that start after 49 min.
    expect(kept.map((e) => e.key.window.start / MINUTE).sort((a, b) => a - b)).toEqual([
      50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
    ]);
    expect(store.fetch('k0', 0)).toBeUndefined();
    expect(await collect(store.fetch('k0', 0, 60 * MINUTE))).toEqual([
      { key: 51 * MINUTE, value: 1 },
      { key: 54 * MINUTE, value: 1 },
      { key: 57 * MINUTE, value: 1 },
    ]);
  });
});

describe('session-windowed aggregation', () => {
  function sessions(windows: SessionWindows, retentionMs = 60 * MINUTE): Topology {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('probes', { valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(windows)
      .aggregate(
        () => [] as string[],
        (_key, value, seen) => [...seen, value].sort(),
        (_key, left, right) => [...left, ...right].sort(),
        { storeName: 'sessions', retentionMs },
      )
      .toStream()
      .to('session-out', { keySerde: WindowedSerdes.sessionWindowed(Serdes.String()) });
    return builder.build();
  }

  it('starts a session per burst, grows it, and merges two sessions that a record bridges', async () => {
    const driver = drive(sessions(SessionWindows.ofInactivityGapWithNoGrace(5 * MINUTE)));
    const input = driver.createInputTopic<string, string>('probes', Serdes.String(), Serdes.String());
    await input.pipeInput('mac', 'a', 0);
    await input.pipeInput('mac', 'b', 4 * MINUTE);
    await input.pipeInput('mac', 'c', 12 * MINUTE);
    const store = driver.getSessionStore<string, string[]>('sessions');
    expect(store.fetch('mac').map((s) => [s.key.window, s.value])).toEqual([
      [{ start: 0, end: 4 * MINUTE }, ['a', 'b']],
      [{ start: 12 * MINUTE, end: 12 * MINUTE }, ['c']],
    ]);
    await input.pipeInput('mac', 'bridge', 8 * MINUTE);
    expect(store.fetch('mac').map((s) => [s.key.window, s.value])).toEqual([
      [{ start: 0, end: 12 * MINUTE }, ['a', 'b', 'bridge', 'c']],
    ]);
    const out = driver.createOutputTopic<Windowed<string>, string[] | null>(
      'session-out',
      WindowedSerdes.sessionWindowed(Serdes.String()),
    );
    const last = out.readKeyValuesToList().slice(-3);
    expect(last).toEqual([
      [{ key: 'mac', window: { start: 0, end: 4 * MINUTE } }, null],
      [{ key: 'mac', window: { start: 12 * MINUTE, end: 12 * MINUTE } }, null],
      [{ key: 'mac', window: { start: 0, end: 12 * MINUTE } }, ['a', 'b', 'bridge', 'c']],
    ]);
  });

  it('drops and counts a record whose session would already be closed', async () => {
    const driver = drive(sessions(SessionWindows.ofInactivityGapAndGrace(MINUTE, MINUTE)));
    const input = driver.createInputTopic<string, string>('probes', Serdes.String(), Serdes.String());
    await input.pipeInput('mac', 'a', 10 * MINUTE);
    await input.pipeInput('mac', 'late', 2 * MINUTE);
    // Closed: a session of its own that ends before stream time (10 min) minus gap and grace (2 min).
    await input.pipeInput('mac', 'closed', 8 * MINUTE - 1);
    await input.pipeInput('mac', 'in grace', 9 * MINUTE + 1); // within the gap of 'a': merges
    expect(driver.droppedRecords().get('late')).toBe(2);
    expect(
      driver
        .getSessionStore<string, string[]>('sessions')
        .fetch('mac')
        .map((s) => s.value),
    ).toEqual([['a', 'in grace']]);
  });

  it('count and reduce give one value per session', async () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream<string, string>('in', { valueSerde: Serdes.String() }).groupByKey();
    const windows = SessionWindows.ofInactivityGapAndGrace(1000, 5000);
    grouped.windowedBy(windows).count({ storeName: 'counts', retentionMs: MINUTE });
    grouped.windowedBy(windows).reduce((a, b) => `${a}+${b}`, { storeName: 'joined', retentionMs: MINUTE });
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    for (const [value, time] of [
      ['x', 0],
      ['y', 500],
      ['z', 5000],
      ['w', 1400],
    ] as const)
      await input.pipeInput('k', value, time);
    expect(
      driver
        .getSessionStore<string, number>('counts')
        .fetch('k')
        .map((s) => s.value),
    ).toEqual([3, 1]);
    expect(
      driver
        .getSessionStore<string, string>('joined')
        .fetch('k')
        .map((s) => s.value),
    ).toEqual(['x+y+w', 'z']);
  });
});
