import { describe, expect, it } from 'vitest';
import {
  Serdes,
  SlidingWindows,
  StreamsBuilder,
  Suppressed,
  type Topology,
  type TopologyTestDriver,
  WindowedSerdes,
} from '../../../src/topology/index.js';
import { useTopologyTestDrivers } from '../../support/test-drivers.js';

const drive = useTopologyTestDrivers();

const S = 1_000;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Counts per sliding window to topic `counts`, in store `sliding-counts`. */
function slidingCounts(windows: SlidingWindows, retentionMs?: number): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('clicks', { valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(windows)
    .count({ storeName: 'sliding-counts', ...(retentionMs ? { retentionMs } : {}) })
    .toStream()
    .to('counts', {
      keySerde: WindowedSerdes.timeWindowed(Serdes.String(), windows.timeDifferenceMs),
      valueSerde: Serdes.Long(),
    });
  return builder.build();
}

type Row = [string, number, number, number];

/** The store's windows as [key, start, end, value] rows, sorted. */
async function storeRows(driver: TopologyTestDriver): Promise<Row[]> {
  const store = driver.getWindowStore<string, unknown>('sliding-counts');
  const rows = (await collect(store.all())).map(
    (e) => [e.key.key, e.key.window.start, e.key.window.end, e.value] as Row,
  );
  return rows.sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

function outputRows(driver: TopologyTestDriver, diff: number): Row[] {
  const out = driver.createOutputTopic(
    'counts',
    WindowedSerdes.timeWindowed(Serdes.String(), diff),
    Serdes.Long(),
  );
  return out
    .readKeyValuesToList()
    .map(([k, v]) => [k?.key ?? '', k?.window.start ?? -1, k?.window.end ?? -1, v as number]);
}

describe('sliding-window aggregation', () => {
  it('makes a window ending at each record and one just after a record once a later one falls in it', async () => {
    const diff = 10 * S;
    const driver = drive(slidingCounts(SlidingWindows.ofTimeDifferenceAndGrace(diff, 30 * S)));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    await input.pipeInput('k', 'a', 20 * S);
    await input.pipeInput('k', 'b', 25 * S);
    await input.pipeInput('k', 'c', 40 * S);
    expect(outputRows(driver, diff)).toEqual([
      ['k', 10 * S, 20 * S, 1],
      // b falls in a's right window [20.001 s, 30.001 s]; its own left window holds a and b.
      ['k', 20_001, 30_001, 1],
      ['k', 15 * S, 25 * S, 2],
      ['k', 30 * S, 40 * S, 1],
    ]);
    expect(await storeRows(driver)).toEqual([
      ['k', 10 * S, 20 * S, 1],
      ['k', 15 * S, 25 * S, 2],
      ['k', 20_001, 30_001, 1],
      ['k', 30 * S, 40 * S, 1],
    ]);
  });

  it('folds a record that comes out of order within grace into the windows it belongs to', async () => {
    const diff = 10 * S;
    const driver = drive(slidingCounts(SlidingWindows.ofTimeDifferenceAndGrace(diff, 30 * S)));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    for (const t of [20_000, 25_000, 40_000]) await input.pipeInput('k', 'x', t);
    outputRows(driver, diff);
    await input.pipeInput('k', 'late but in grace', 22_000);
    expect(outputRows(driver, diff)).toEqual([
      ['k', 20_001, 30_001, 2],
      ['k', 15_000, 25_000, 3],
      ['k', 12_000, 22_000, 2],
      ['k', 22_001, 32_001, 1],
    ]);
    expect(await storeRows(driver)).toEqual([
      ['k', 10_000, 20_000, 1],
      ['k', 12_000, 22_000, 2],
      ['k', 15_000, 25_000, 3],
      ['k', 20_001, 30_001, 2],
      ['k', 22_001, 32_001, 1],
      ['k', 30_000, 40_000, 1],
    ]);
    expect(driver.droppedRecords()).toEqual(new Map());
  });

  it('puts records earlier than the time difference in the window [0, difference]', async () => {
    const diff = 10 * S;
    const driver = drive(slidingCounts(SlidingWindows.ofTimeDifferenceAndGrace(diff, 30 * S)));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    for (const t of [3_000, 8_000, 1_000, 12_000]) await input.pipeInput('k', 'x', t);
    expect(await storeRows(driver)).toEqual([
      ['k', 0, 10_000, 3],
      ['k', 1_001, 11_001, 2],
      ['k', 2_000, 12_000, 3],
      ['k', 3_001, 13_001, 2],
      ['k', 8_001, 18_001, 1],
    ]);
  });

  it('drops and counts a record whose windows closed, and takes what still fits in open ones', async () => {
    const diff = 10 * S;
    const driver = drive(slidingCounts(SlidingWindows.ofTimeDifferenceAndGrace(diff, 5 * S)));
    const input = driver.createInputTopic<string, string>('clicks', Serdes.String(), Serdes.String());
    await input.pipeInput('k', 'x', 100_000); // closes windows that end before 95 s
    await input.pipeInput('k', 'every window closed', 84_000);
    await input.pipeInput('k', 'its left window closed', 86_000);
    await input.pipeInput('k', 'in the open window [90 s, 100 s]', 90_000);
    expect(await storeRows(driver)).toEqual([
      ['k', 90_000, 100_000, 2],
      ['k', 90_001, 100_001, 1],
    ]);
    expect(driver.droppedRecords()).toEqual(new Map([['late', 3]]));
  });

  it('matches the windows worked out from their definition, for records in any order', async () => {
    const diff = 5 * S;
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('events', { valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(diff, 60 * S))
      .aggregate(
        () => [] as string[],
        (_k, v, ids: string[]) => [...ids, v],
        { storeName: 'ids' },
      );
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('events', Serdes.String(), Serdes.String());
    let seed = 17;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const sent = new Map<string, { id: string; t: number }[]>();
    for (let i = 0; i < 300; i++) {
      const key = `k${random(4)}`;
      // On a 250 ms grid with some +1 ms neighbours, so that records share times and meet window bounds.
      const t = random(120) * 250 + (random(5) === 0 ? 1 : 0);
      const id = `r${i}`;
      sent.set(key, [...(sent.get(key) ?? []), { id, t }]);
      await input.pipeInput(key, id, t);
    }
    const expected: [string, number, string[]][] = [];
    for (const [key, records] of sent) {
      const times = records.map((r) => r.t);
      const starts = new Set(times.map((t) => Math.max(0, t - diff)));
      for (const t of times) if (times.some((u) => u > t && u <= t + 1 + diff)) starts.add(t + 1);
      for (const start of starts) {
        const ids = records.filter((r) => r.t >= start && r.t <= start + diff).map((r) => r.id);
        expected.push([key, start, ids.sort()]);
      }
    }
    const store = driver.getWindowStore<string, string[]>('ids');
    const actual = (await collect(store.all())).map(
      (e) => [e.key.key, e.key.window.start, [...e.value].sort()] as [string, number, string[]],
    );
    const order = (a: [string, number, string[]], b: [string, number, string[]]) =>
      a[0].localeCompare(b[0]) || a[1] - b[1];
    expect(actual.sort(order)).toEqual(expected.sort(order));
    expect(driver.droppedRecords()).toEqual(new Map());
  });

  it('reduces each window, and asks for a retention that covers the windows a record within grace reads', async () => {
    const builder = new StreamsBuilder();
    const sums = builder
      .stream<string, number>('amounts', { valueSerde: Serdes.Json<number>() })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10 * S));
    sums.reduce((a, b) => a + b, { storeName: 'sums', valueSerde: Serdes.Json<number>() });
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, number>('amounts', Serdes.String(), Serdes.Json());
    await input.pipeInput('k', 5, 20_000);
    await input.pipeInput('k', 7, 26_000);
    const store = driver.getWindowStore<string, number>('sums');
    expect(await collect(store.fetch('k', 0, 30_000))).toEqual([
      { key: 10_000, value: 5 },
      { key: 16_000, value: 12 },
      { key: 20_001, value: 7 },
    ]);
    expect(() =>
      new StreamsBuilder()
        .stream<string, string>('x')
        .groupByKey()
        .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10 * S, 5 * S))
        .count({ storeName: 'short', retentionMs: 25_001 }),
    ).toThrow('retention 25001 ms is less than twice the time difference plus grace plus 2 ms (25002 ms)');
    expect(() => SlidingWindows.ofTimeDifferenceWithNoGrace(0)).toThrow(TypeError);
  });

  it('suppressed until its window closes, emits a window only once stream time is past its end plus grace', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in', { valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(10 * S, 5 * S))
      .count()
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .map((w, n) => [`${w.key}@${w.window.start}-${w.window.end}`, n], {
        valueSerde: Serdes.Json<number | null>(),
      })
      .to('out');
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic<string, number>('out');
    await input.pipeInput('a', 'x', 20_000);
    await input.pipeInput('a', 'x', 25_000); // [10 s, 20 s] still takes a record at 20 s
    expect(out.readKeyValuesToList()).toEqual([]);
    await input.pipeInput('b', 'x', 25_001); // now it cannot
    expect(out.readKeyValuesToList()).toEqual([['a@10000-20000', 1]]);
    await input.pipeInput('a', 'its left window has closed', 20_000);
    await input.pipeInput('b', 'x', 100_000);
    expect(out.readKeyValuesToList()).toEqual([
      ['a@15000-25000', 3],
      ['b@15001-25001', 1],
      ['a@20001-30001', 1],
    ]);
    expect(driver.droppedRecords()).toEqual(new Map([['late', 1]]));
  });
});
