import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology, TopologyTestDriver } from '../../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
function drive(topology: Topology): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
  drivers.push(driver);
  return driver;
}
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

interface Reading {
  readonly room: string;
  readonly celsius: number;
}

/** Sensor readings keyed by sensor id, re-keyed by room and aggregated per room. */
function readingsByRoom() {
  const builder = new StreamsBuilder();
  builder
    .stream<string, Reading>('readings')
    .selectKey((_sensor, reading) => reading.room)
    .groupByKey({ name: 'by-room' })
    .aggregate(
      () => ({ count: 0, sum: 0 }),
      (_room, reading, total) => ({ count: total.count + 1, sum: total.sum + reading.celsius }),
      'room-totals',
    )
    .toStream()
    .to('room-totals-out');
  return builder.build();
}

describe('aggregations in the test driver', () => {
  it('selectKey then groupByKey repartitions through app-<name>-repartition into a second sub-topology', () => {
    const description = readingsByRoom().describe();
    expect(description).toContain('   Sub-topology: 0\n');
    expect(description).toContain('   Sub-topology: 1\n');
    expect(description).not.toContain('Sub-topology: 2');
    expect(description).toContain('Sink: KSTREAM-SINK-0000000003 (topic: by-room-repartition)');
    expect(description).toContain('Source: KSTREAM-SOURCE-0000000004 (topics: [by-room-repartition])');
  });

  it('aggregate folds each key into a JSON aggregate, forwards every new aggregate, and keeps it in its store', async () => {
    const driver = drive(readingsByRoom());
    const input = driver.createInputTopic<string, Reading>('readings');
    await input.pipeInput('s1', { room: 'kitchen', celsius: 20 });
    await input.pipeInput('s2', { room: 'hall', celsius: 15 });
    await input.pipeInput('s3', { room: 'kitchen', celsius: 22 });
    expect(driver.createOutputTopic('room-totals-out').readKeyValuesToList()).toEqual([
      ['kitchen', { count: 1, sum: 20 }],
      ['hall', { count: 1, sum: 15 }],
      ['kitchen', { count: 2, sum: 42 }],
    ]);
    const store = driver.getKeyValueStore<string, { count: number; sum: number }>('room-totals');
    expect(store.get('kitchen')).toEqual({ count: 2, sum: 42 });
    expect(store.get('hall')).toEqual({ count: 1, sum: 15 });
    expect(store.get('attic')).toBeUndefined();
  });

  it('reads the repartition topic under its physical name, app-<name>-repartition', async () => {
    const driver = drive(readingsByRoom());
    const repartition = driver.createInputTopic<string, Reading>('app-by-room-repartition');
    await repartition.pipeInput('cellar', { room: 'cellar', celsius: 9 });
    expect(driver.getKeyValueStore('room-totals').get('cellar')).toEqual({ count: 1, sum: 9 });
    expect(() => driver.createInputTopic('by-room-repartition')).toThrow(TypeError);
  });

  it('logs the aggregate store to app-<store>-changelog, one record per key per commit', async () => {
    const driver = drive(readingsByRoom());
    const input = driver.createInputTopic<string, Reading>('readings');
    await input.pipeInput('s1', { room: 'kitchen', celsius: 20 });
    await input.pipeInput('s3', { room: 'kitchen', celsius: 22 });
    expect(driver.createOutputTopic('app-room-totals-changelog').readKeyValuesToList()).toEqual([
      ['kitchen', { count: 1, sum: 20 }],
      ['kitchen', { count: 2, sum: 42 }],
    ]);
  });

  it('carries the input timestamp through the repartition topic to the output', async () => {
    const driver = drive(readingsByRoom());
    await driver
      .createInputTopic<string, Reading>('readings')
      .pipeInput('s1', { room: 'hall', celsius: 1 }, 4242);
    expect(
      driver
        .createOutputTopic('room-totals-out')
        .readRecordsToList()
        .map((r) => r.timestamp),
    ).toEqual([4242]);
  });

  it('reduce starts from the first value of a key and combines the rest', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, number>('amounts')
      .groupByKey()
      .reduce((a, b) => Math.max(a, b), 'max')
      .toStream()
      .to('max-out');
    const driver = drive(builder.build());
    await driver.createInputTopic<string, number>('amounts').pipeKeyValueList([
      ['a', 3],
      ['a', 1],
      ['b', -5],
      ['a', 7],
    ]);
    expect(driver.createOutputTopic('max-out').readKeyValuesToList()).toEqual([
      ['a', 3],
      ['a', 3],
      ['b', -5],
      ['a', 7],
    ]);
    expect(driver.getKeyValueStore('max').get('b')).toBe(-5);
  });

  it('writes a count downstream as Long bytes unless to() is given another serde', async () => {
    const builder = new StreamsBuilder();
    builder.stream<string, unknown>('clicks').groupByKey().count('c').toStream().to('counts');
    const driver = drive(builder.build());
    await driver.createInputTopic('clicks').pipeInput('ann', 'x');
    expect(driver.createOutputTopic('counts', Serdes.String(), Serdes.Buffer()).readKeyValue()).toEqual([
      'ann',
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]),
    ]);
  });

  it('count via groupByKey stays in one sub-topology and counts per key as Long values', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, unknown>('clicks')
      .groupByKey()
      .count('clicks-per-user')
      .toStream()
      .to('counts', { valueSerde: Serdes.Long() });
    const topology = builder.build();
    expect(topology.describe()).not.toContain('Sub-topology: 1');
    expect(topology.describe()).not.toContain('repartition');
    const driver = drive(topology);
    await driver.createInputTopic('clicks').pipeKeyValueList([
      ['ann', 'x'],
      ['bob', 'y'],
      ['ann', 'z'],
    ]);
    expect(driver.createOutputTopic('counts', Serdes.String(), Serdes.Long()).readKeyValuesToList()).toEqual([
      ['ann', 1],
      ['bob', 1],
      ['ann', 2],
    ]);
    expect(driver.getKeyValueStore<string, number>('clicks-per-user').get('ann')).toBe(2);
  });

  it('names an unnamed aggregation store after its node, as Kafka Streams does', async () => {
    const builder = new StreamsBuilder();
    builder.stream<string, unknown>('clicks').groupByKey().count();
    const driver = drive(builder.build());
    await driver.createInputTopic('clicks').pipeInput('ann', 1);
    expect(driver.getKeyValueStore('KSTREAM-AGGREGATE-STATE-STORE-0000000001').get('ann')).toBe(1);
  });

  it('skips records with a null key or a null value, without output or failure', async () => {
    const builder = new StreamsBuilder();
    builder.stream<string, unknown>('clicks').groupByKey().count('c').toStream().to('counts');
    const driver = drive(builder.build());
    const input = driver.createInputTopic('clicks');
    await input.pipeInput(null, 'x');
    await input.pipeInput('ann', null);
    await input.pipeInput('ann', 'y');
    expect(driver.createOutputTopic('counts', Serdes.String(), Serdes.Long()).readKeyValuesToList()).toEqual([
      ['ann', 1],
    ]);
    expect(driver.getKeyValueStore('c').approximateNumEntries()).toBe(1);
    expect(driver.createOutputTopic('app-dlq').isEmpty()).toBe(true);
  });

  it('skips records whose new key is null after a repartition', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, { user: string | null }>('events')
      .groupBy((_k, v) => v.user)
      .count('per-user')
      .toStream()
      .to('counts');
    const driver = drive(builder.build());
    const input = driver.createInputTopic<string, { user: string | null }>('events');
    await input.pipeInput('e1', { user: null });
    await input.pipeInput('e2', { user: 'ann' });
    expect(driver.createOutputTopic('counts', Serdes.String(), Serdes.Long()).readKeyValuesToList()).toEqual([
      ['ann', 1],
    ]);
  });
});
