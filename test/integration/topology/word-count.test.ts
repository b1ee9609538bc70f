import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, testStreams, useStreamsTestContext } from '../../support/streams.js';

function wordCountTopology(input: string, output: string) {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(input, { valueSerde: Serdes.String() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_key, word) => word, { name: 'by-word' })
    .count('counts')
    .toStream()
    .to(output, { valueSerde: Serdes.Long() });
  return builder.build();
}

describe('a word count on the real broker', () => {
  const context = useStreamsTestContext();

  it('counts exactly, repartitions by word, and answers from its store', async () => {
    const input = uniqueName('wc-in');
    const output = uniqueName('wc-out');
    const applicationId = uniqueName('wc-app');
    await createTopics(context.admin, { [input]: 3, [output]: 3 });
    const producer = context.kafka.producer();
    await producer.connect();
    const lines = ['the quick brown fox', 'jumps over the lazy dog', 'The dog barks', 'the end'];
    await producer.send({ topic: input, messages: lines.map((value, i) => ({ key: `line-${i}`, value })) });

    const streams = testStreams(wordCountTopology(input, output), { applicationId });
    context.running.push(streams);
    await streams.start();
    await streams.waitForState('RUNNING');

    const expected: Record<string, number> = {
      the: 4,
      quick: 1,
      brown: 1,
      fox: 1,
      jumps: 1,
      over: 1,
      lazy: 1,
      dog: 2,
      barks: 1,
      end: 1,
    };
    const store = streams.store<string, number>('counts');
    await eventually(
      () => Object.fromEntries(Object.keys(expected).map((word) => [word, store.get(word)])),
      (counts) => JSON.stringify(counts) === JSON.stringify(expected),
    );
    expect(store.get('cat')).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(10);

    // The repartition topic, the compacted changelog and the DLQ were created with the source's 3 partitions;
    // the operator's skip list has one.
    const metadata = await context.admin.fetchTopicMetadata({
      topics: [
        `${applicationId}-by-word-repartition`,
        `${applicationId}-counts-changelog`,
        `${applicationId}-dlq`,
        `${applicationId}-skips`,
      ],
    });
    expect(metadata.topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual(
      [
        [`${applicationId}-by-word-repartition`, 3],
        [`${applicationId}-counts-changelog`, 3],
        [`${applicationId}-dlq`, 3],
        [`${applicationId}-skips`, 1],
      ].sort(),
    );

    // Input offsets are committed after the counts reached Kafka.
    await eventually(
      async () =>
        (await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] }))[0]?.partitions,
      (partitions) =>
        (partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === lines.length,
    );
    await producer.disconnect();
    await streams.close();
    expect(streams.state).toBe('NOT_RUNNING');
  });
});
