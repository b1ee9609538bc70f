import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, TopologyTestDriver } from '../../../src/topology/index.js';

interface Stats {
  probeCount: number;
  lastProbe: number;
}

const statsSerde = Serdes.Avro<Stats>({
  type: 'record',
  name: 'Stats',
  fields: [
    { name: 'probeCount', type: 'long' },
    { name: 'lastProbe', type: 'long' },
  ],
});

describe('a store whose values are Avro', () => {
  it('keeps Avro values in the store and writes them as Avro records to its changelog', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, { ts: number }>('probes')
      .groupByKey()
      .aggregate<Stats>(
        () => ({ probeCount: 0, lastProbe: 0 }),
        (_mac, probe, stats) => ({
          probeCount: stats.probeCount + 1,
          lastProbe: Math.max(stats.lastProbe, probe.ts),
        }),
        { storeName: 'stats', valueSerde: statsSerde },
      );
    const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
    const input = driver.createInputTopic<string, { ts: number }>('probes');
    await input.pipeInput('aa:bb:cc:dd:ee:01', { ts: 100 });
    await input.pipeInput('aa:bb:cc:dd:ee:01', { ts: 250 });
    await input.pipeInput('aa:bb:cc:dd:ee:02', { ts: 50 });

    expect({ ...driver.getKeyValueStore<string, Stats>('stats').get('aa:bb:cc:dd:ee:01') }).toEqual({
      probeCount: 2,
      lastProbe: 250,
    });
    const changelog = driver
      .createOutputTopic('app-stats-changelog', Serdes.String(), statsSerde)
      .readKeyValuesToList();
    expect(changelog.map(([key, value]) => [key, { ...value }])).toEqual([
      ['aa:bb:cc:dd:ee:01', { probeCount: 1, lastProbe: 100 }],
      ['aa:bb:cc:dd:ee:01', { probeCount: 2, lastProbe: 250 }],
      ['aa:bb:cc:dd:ee:02', { probeCount: 1, lastProbe: 50 }],
    ]);
    // The changelog's bytes are Avro's: zig-zag longs, 2 → 0x04 and 250 → 0xf4 0x03.
    expect(statsSerde.serialize({ probeCount: 2, lastProbe: 250 }).toString('hex')).toBe('04f403');
    await driver.close();
  });
});
