import { afterEach, describe, expect, it } from 'vitest';
import { type ProcessorContext, Topology, TopologyTestDriver } from '../../../src/topology/index.js';
import { TaskTime } from '../../../src/topology/runtime/task-time.js';

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

/** Forwards, at every punctuation, which clock ran it and when. */
function punctuating(type: 'stream-time' | 'wall-clock-time', intervalMs: number): TopologyTestDriver {
  const topology = new Topology()
    .addSource('in', 'in')
    .addProcessor(
      'p',
      () => {
        let context: ProcessorContext<string, number>;
        return {
          init(ctx: ProcessorContext<string, number>) {
            context = ctx;
            ctx.schedule(intervalMs, type, (time) =>
              context.forward({ key: type, value: time, timestamp: time, headers: {} }),
            );
          },
          process() {},
        };
      },
      'in',
    )
    .addSink('out', 'out', {}, 'p');
  const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 1_000_000 });
  drivers.push(driver);
  return driver;
}

describe('punctuation', () => {
  it('stream-time punctuators run with the first record, then once per interval of stream time, skipping what was jumped over', async () => {
    const driver = punctuating('stream-time', 10_000);
    const input = driver.createInputTopic('in');
    for (const time of [5_000, 9_000, 10_000, 12_000, 4_000, 45_000, 49_000, 50_000])
      await input.pipeInput('k', 1, time);
    const out = driver.createOutputTopic('out');
    expect(out.readRecordsToList().map((r) => r.value)).toEqual([5_000, 10_000, 45_000, 50_000]);
  });

  it('wall-clock punctuators run as the clock moves, not with records', async () => {
    const driver = punctuating('wall-clock-time', 1_000);
    const input = driver.createInputTopic('in');
    await input.pipeInput('k', 1, 99_999_999);
    await driver.advanceWallClockTime(999);
    const out = driver.createOutputTopic('out');
    expect(out.readRecordsToList()).toEqual([]);
    await driver.advanceWallClockTime(1);
    await driver.advanceWallClockTime(3_500);
    expect(out.readRecordsToList().map((r) => r.value)).toEqual([1_001_000, 1_004_500]);
  });

  it('going back to the last commit restores stream time and the punctuations it undid', () => {
    const time = new TaskTime();
    const runs: number[] = [];
    time.schedule(10, 'stream-time', (t) => runs.push(t), 0);
    time.observe(5);
    time.commit();
    time.observe(25);
    expect(time.streamTime).toBe(25);
    time.rollback();
    expect(time.streamTime).toBe(5);
    time.observe(25);
    expect(runs).toEqual([5, 25, 25]);
  });
});

describe('windowed stores and key lookups', () => {
  it('refuses a key-value lookup of a window store, whose keys are laid out otherwise', async () => {
    const { StreamsBuilder, TimeWindows } = await import('../../../src/topology/index.js');
    const { keyValueStoreOf } = await import('../../../src/topology/runtime/streams-metadata.js');
    const builder = new StreamsBuilder();
    builder.stream('in').groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(1000)).count('w');
    builder.stream('other').groupByKey().count('kv');
    const topology = builder.build();
    expect(() => keyValueStoreOf(topology, 'w')).toThrow(/w is a window store, not a key-value store/);
    expect(keyValueStoreOf(topology, 'kv').builder.name).toBe('kv');
  });
});
