import { describe, expect, it } from 'vitest';
import { Serdes } from '../../../src/serdes/index.js';
import { StreamsBuilder } from '../../../src/topology/dsl/streams-builder.js';
import { TopologyTestDriver } from '../../../src/topology/test-driver.js';

function wordCount() {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('sentences', { valueSerde: Serdes.String() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_key, word) => word)
    .count('word-counts')
    .toStream()
    .to('word-counts-out', { valueSerde: Serdes.Long() });
  return builder.build();
}

describe('a word count topology in the test driver', () => {
  it('counts every word exactly, through a repartition topic', async () => {
    const driver = new TopologyTestDriver(wordCount(), { applicationId: 'wc' });
    const input = driver.createInputTopic('sentences', Serdes.String(), Serdes.String());
    const output = driver.createOutputTopic('word-counts-out', Serdes.String(), Serdes.Long());
    await input.pipeInput(null, 'the quick brown fox');
    await input.pipeInput(null, 'The lazy dog and the fox');
    // As with Kafka Streams' caching: a count goes downstream at the commit (here after each input record),
    // each word's latest only, so the second sentence's `the` is counted twice but sent once, as 3.
    expect(output.readKeyValuesToList()).toEqual([
      ['the', 1],
      ['quick', 1],
      ['brown', 1],
      ['fox', 1],
      ['lazy', 1],
      ['dog', 1],
      ['and', 1],
      ['the', 3],
      ['fox', 2],
    ]);
    const store = driver.getKeyValueStore<string, number>('word-counts');
    expect(store.get('the')).toBe(3);
    expect(store.get('cat')).toBeUndefined();
    const changelog = driver.createOutputTopic('wc-word-counts-changelog', Serdes.String(), Serdes.Long());
    expect(changelog.readKeyValuesToMap()).toEqual(
      new Map([
        ['the', 3],
        ['quick', 1],
        ['brown', 1],
        ['fox', 2],
        ['lazy', 1],
        ['dog', 1],
        ['and', 1],
      ]),
    );
    await driver.close();
  });

  it('describes its two sub-topologies, split at the repartition topic', () => {
    expect(wordCount().describe()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: KSTREAM-SOURCE-0000000000 (topics: [sentences])',
        '      --> KSTREAM-FLATMAPVALUES-0000000001',
        '    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])',
        '      --> KSTREAM-KEY-SELECT-0000000002',
        '      <-- KSTREAM-SOURCE-0000000000',
        '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
        '      --> KSTREAM-SINK-0000000004',
        '      <-- KSTREAM-FLATMAPVALUES-0000000001',
        '    Sink: KSTREAM-SINK-0000000004 (topic: word-counts-repartition)',
        '      <-- KSTREAM-KEY-SELECT-0000000002',
        '   Sub-topology: 1',
        '    Source: KSTREAM-SOURCE-0000000005 (topics: [word-counts-repartition])',
        '      --> KSTREAM-AGGREGATE-0000000003',
        '    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [word-counts])',
        '      --> KTABLE-TOSTREAM-0000000006',
        '      <-- KSTREAM-SOURCE-0000000005',
        '    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])',
        '      --> KSTREAM-SINK-0000000007',
        '      <-- KSTREAM-AGGREGATE-0000000003',
        '    Sink: KSTREAM-SINK-0000000007 (topic: word-counts-out)',
        '      <-- KTABLE-TOSTREAM-0000000006',
        '',
      ].join('\n'),
    );
  });
});
