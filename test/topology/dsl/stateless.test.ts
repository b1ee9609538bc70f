import { afterEach, describe, expect, it } from 'vitest';
import { type KStream, Serdes, StreamsBuilder, TopologyTestDriver } from '../../../src/topology/index.js';

/** Builds `in` → (the operations under test) → `out`, with String keys and JSON values on both ends. */
function run<V>(operations: (input: KStream<string, V>) => Pick<KStream<unknown, unknown>, 'to'>) {
  const builder = new StreamsBuilder();
  operations(builder.stream<string, V>('in')).to('out');
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
  drivers.push(driver);
  return {
    driver,
    input: driver.createInputTopic<string, V>('in'),
    output: driver.createOutputTopic<string, unknown>('out'),
  };
}

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

describe('KStream stateless operations in the test driver', () => {
  it('filter keeps the records that match, filterNot those that do not', async () => {
    const kept = run<number>((s) => s.filter((_k, v) => v % 2 === 0));
    const dropped = run<number>((s) => s.filterNot((_k, v) => v % 2 === 0));
    for (const t of [kept, dropped])
      await t.input.pipeKeyValueList([
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ]);
    expect(kept.output.readKeyValuesToList()).toEqual([
      ['b', 2],
      ['d', 4],
    ]);
    expect(dropped.output.readKeyValuesToList()).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
  });

  it('filter sees the key as well as the value', async () => {
    const { input, output } = run<number>((s) => s.filter((k) => k.startsWith('x')));
    await input.pipeKeyValueList([
      ['xa', 1],
      ['b', 2],
      ['xc', 3],
    ]);
    expect(output.readKeyValuesToList()).toEqual([
      ['xa', 1],
      ['xc', 3],
    ]);
  });

  it('map gives each record a new key and value, from a tuple or from {key, value}', async () => {
    const tuple = run<number>((s) => s.map((k, v) => [`${k}!`, { doubled: v * 2 }] as const));
    const object = run<number>((s) => s.map((k, v) => ({ key: k.toUpperCase(), value: [v] })));
    for (const t of [tuple, object])
      await t.input.pipeKeyValueList([
        ['a', 1],
        ['b', 2],
      ]);
    expect(tuple.output.readKeyValuesToList()).toEqual([
      ['a!', { doubled: 2 }],
      ['b!', { doubled: 4 }],
    ]);
    expect(object.output.readKeyValuesToList()).toEqual([
      ['A', [1]],
      ['B', [2]],
    ]);
  });

  it('mapValues changes the value and keeps the key, and its mapper sees the key', async () => {
    const { input, output } = run<{ n: number }>((s) => s.mapValues((v, k) => `${k}=${v.n}`));
    await input.pipeKeyValueList([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(output.readKeyValuesToList()).toEqual([
      ['a', 'a=1'],
      ['b', 'b=2'],
    ]);
  });

  it('flatMapValues forwards 0, 1 or many records per input, in order', async () => {
    const { input, output } = run<number>((s) =>
      s.flatMapValues((v) => Array.from({ length: v }, (_, i) => i)),
    );
    await input.pipeKeyValueList([
      ['none', 0],
      ['one', 1],
      ['three', 3],
    ]);
    expect(output.readKeyValuesToList()).toEqual([
      ['one', 0],
      ['three', 0],
      ['three', 1],
      ['three', 2],
    ]);
  });

  it('flatMapValues accepts any iterable, such as a generator', async () => {
    const { input, output } = run<string>((s) =>
      s.flatMapValues(function* (v) {
        yield* v.split(',');
      }),
    );
    await input.pipeInput('k', 'x,y');
    expect(output.readKeyValuesToList()).toEqual([
      ['k', 'x'],
      ['k', 'y'],
    ]);
  });

  it('peek sees every record and passes it on unchanged', async () => {
    const seen: [string, number][] = [];
    const { input, output } = run<number>((s) =>
      s.peek((k, v) => seen.push([k, v])).filter((_k, v) => v > 1),
    );
    await input.pipeKeyValueList([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(seen).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(output.readKeyValuesToList()).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('carries each record timestamp and headers from input to output', async () => {
    const { input, output } = run<number>((s) => s.mapValues((v) => v + 1).flatMapValues((v) => [v, v]));
    await input.pipeInput('a', 1, 1_700_000_000_000, { trace: 'abc' });
    await input.pipeInput('b', 2, 5);
    expect(output.readRecordsToList()).toEqual([
      { key: 'a', value: 2, timestamp: 1_700_000_000_000, headers: { trace: 'abc' } },
      { key: 'a', value: 2, timestamp: 1_700_000_000_000, headers: { trace: 'abc' } },
      { key: 'b', value: 3, timestamp: 5, headers: {} },
      { key: 'b', value: 3, timestamp: 5, headers: {} },
    ]);
  });

  it('stamps records piped without a timestamp 0, 1, 2, … ms', async () => {
    const { input, output } = run<number>((s) => s);
    await input.pipeKeyValueList([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(output.readRecordsToList().map((r) => r.timestamp)).toEqual([0, 1, 2]);
  });

  it('passes null keys and null values through stateless operations', async () => {
    const { input, output } = run<number | null>((s) => s.filter(() => true));
    await input.pipeInput(null, 1);
    await input.pipeInput('k', null);
    expect(output.readKeyValuesToList()).toEqual([
      [null, 1],
      ['k', null],
    ]);
  });

  it('writes values with the serdes given to to()', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in', { valueSerde: Serdes.String() })
      .mapValues((v) => v.length)
      .to('lengths', { valueSerde: Serdes.Long() });
    const driver = new TopologyTestDriver(builder.build());
    drivers.push(driver);
    await driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'hello');
    const raw = driver.createOutputTopic('lengths', Serdes.String(), Serdes.Buffer()).readRecord();
    expect(raw.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 5]));
  });

  it('sends one record to every branch that reads the same stream', async () => {
    const builder = new StreamsBuilder();
    const source = builder.stream<string, number>('in');
    source.filter((_k, v) => v > 0).to('positive');
    source.mapValues((v) => -v).to('negated');
    const driver = new TopologyTestDriver(builder.build());
    drivers.push(driver);
    await driver.createInputTopic<string, number>('in').pipeKeyValueList([
      ['a', 1],
      ['b', -2],
    ]);
    expect(driver.createOutputTopic('positive').readKeyValuesToList()).toEqual([['a', 1]]);
    expect(driver.createOutputTopic('negated').readKeyValuesToList()).toEqual([
      ['a', -1],
      ['b', 2],
    ]);
  });

  // Regression: map() passed the upstream serdes on, so a map to a number failed at the repartition sink.
  it('map falls back to the Json value serde, as its doc says', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in', { valueSerde: Serdes.String() })
      .map((k, v) => [k, v.length] as const)
      .groupByKey()
      .count('lengths');
    const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
    drivers.push(driver);
    await driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('k', 'hello');
    expect(driver.getKeyValueStore<string, number>('lengths').get('k')).toBe(1);
  });
});
