import { afterEach, describe, expect, it } from 'vitest';
import {
  BufferConfig,
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
  type Topology,
  TopologyTestDriver,
  WindowedSerdes,
} from '../../../src/topology/index.js';

const MINUTE = 60_000;
const drivers: TopologyTestDriver[] = [];
function drive(topology: Topology): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
  drivers.push(driver);
  return driver;
}
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

function finalCounts(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, 10_000))
    .count()
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((windowed, count) => [`${windowed.key}@${windowed.window.start / MINUTE}`, count], {
      valueSerde: Serdes.Json<number | null>(),
    })
    .to('out');
  return builder.build();
}

describe('suppress', () => {
  it('untilWindowCloses emits one final count per window, once stream time passes its end plus grace', async () => {
    const driver = drive(finalCounts());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic<string, number>('out');
    for (const t of [0, 10_000, 59_000]) await input.pipeInput('a', 'x', t);
    await input.pipeInput('b', 'x', 30_000);
    await input.pipeInput('a', 'x', 65_000); // stream time 65 s: [0, 60 s) still open (grace 10 s)
    await input.pipeInput('a', 'late, in grace', 50_000);
    expect(out.readKeyValuesToList()).toEqual([]);
    await input.pipeInput('c', 'x', 70_000); // closes [0, 60 s)
    expect(out.readKeyValuesToList()).toEqual([
      ['a@0', 4],
      ['b@0', 1],
    ]);
    await input.pipeInput('a', 'x', 200_000);
    expect(out.readKeyValuesToList()).toEqual([
      ['a@1', 1],
      ['c@1', 1],
    ]);
  });

  it('untilWindowCloses gives the same final results whatever the commits in between (a replay)', async () => {
    const times = Array.from({ length: 500 }, (_, i) => (i * 7919) % (20 * MINUTE));
    const run = async () => {
      const driver = drive(finalCounts());
      const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
      for (const [i, t] of times.entries()) await input.pipeInput(`k${i % 3}`, 'x', t);
      await input.pipeInput('end', 'x', 100 * MINUTE);
      return driver.createOutputTopic<string, number>('out').readKeyValuesToList();
    };
    const first = await run();
    // Every (key, minute) once, with the count of its records that were not too late.
    expect(new Set(first.map(([k]) => k)).size).toBe(first.length);
    expect(first).toEqual(await run());
    expect(
      first.reduce((n, [, c]) => n + (c ?? 0), 0) + (drivers[0]?.droppedRecords().get('late') ?? 0),
    ).toBe(500);
  });

  it('untilTimeLimit passes on the latest update of a key at most once per limit', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('in', { valueSerde: Serdes.String() })
      .suppress(Suppressed.untilTimeLimit(10_000, BufferConfig.unbounded()))
      .toStream()
      .to('out', { valueSerde: Serdes.String() });
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic<string, string>('out', Serdes.String(), Serdes.String());
    await input.pipeInput('k', 'v1', 0);
    await input.pipeInput('k', 'v2', 4_000);
    await input.pipeInput('other', 'o1', 9_999);
    expect(out.readKeyValuesToList()).toEqual([]);
    await input.pipeInput('k', 'v3', 10_000); // k's first held update plus 10 s: due
    expect(out.readKeyValuesToList()).toEqual([['k', 'v3']]);
    await input.pipeInput('k', null, 12_000);
    await input.pipeInput('x', 'x', 30_000);
    expect(out.readKeyValuesToList()).toEqual([
      ['other', 'o1'],
      ['k', null],
    ]);
  });

  it('a bounded buffer passes on at once the update that does not fit', async () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, string>('in', { valueSerde: Serdes.String() })
      .suppress(Suppressed.untilTimeLimit(MINUTE, BufferConfig.maxRecords(2)))
      .toStream()
      .to('out', { valueSerde: Serdes.String() });
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic<string, string>('out', Serdes.String(), Serdes.String());
    for (const key of ['a', 'b', 'c', 'a']) await input.pipeInput(key, `${key}!`, 1);
    expect(out.readKeyValuesToList()).toEqual([['c', 'c!']]);
  });

  it('untilWindowCloses on sessions waits for the gap and grace after a session ends, and drops merged-away sessions', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in', { valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5 * MINUTE))
      .count()
      .suppress(Suppressed.untilWindowCloses().withName('final-sessions'))
      .toStream()
      .to('out', { keySerde: WindowedSerdes.sessionWindowed(Serdes.String()), valueSerde: Serdes.Long() });
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic(
      'out',
      WindowedSerdes.sessionWindowed(Serdes.String()),
      Serdes.Long(),
    );
    await input.pipeInput('mac', 'x', 0);
    await input.pipeInput('mac', 'x', 4 * MINUTE + 59_000); // closes at 9:59
    await input.pipeInput('mac', 'x', 8 * MINUTE); // merges with it: one session 0-8 min
    await input.pipeInput('mac', 'x', 2 * MINUTE);
    await input.pipeInput('other', 'x', 13 * MINUTE - 1);
    expect(out.readKeyValuesToList()).toEqual([]);
    await input.pipeInput('other', 'x', 13 * MINUTE); // 8 min plus the gap: the session is final
    expect(out.readKeyValuesToList()).toEqual([[{ key: 'mac', window: { start: 0, end: 8 * MINUTE } }, 4]]);
    expect(() => driver.getKeyValueStore('final-sessions-store')).toThrow(/suppression store/);
  });

  it('untilWindowCloses refuses a table that is not windowed', () => {
    const table = new StreamsBuilder().table('t');
    expect(() => table.suppress(Suppressed.untilWindowCloses())).toThrow(/windowed table/);
    expect(() => Suppressed.untilWindowCloses(BufferConfig.maxRecords(5))).toThrow(/unbounded/);
  });
});
