import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, testStreams, useStreamsTestContext } from '../../support/streams.js';

describe('a commit that Kafka refuses', () => {
  const context = useStreamsTestContext();

  async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
    const [found] = await context.admin.fetchOffsets({ groupId, topics: [topic] });
    return found?.partitions.find((p) => p.partition === 0)?.offset;
  }

  // The chaos bench lost a commit's worth of records this way: a transaction failed while the broker
  // restarted, and a commit queued meanwhile committed the offsets of the output the failed one dropped.
  it('leaves the input offsets of the output it dropped uncommitted, though commits were queued behind it', async () => {
    const input = uniqueName('failed-commit-in');
    const output = uniqueName('failed-commit-out');
    const applicationId = uniqueName('failed-commit-app');
    await createTopics(context.admin, { [input]: 1, [output]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>(input, { valueSerde: Serdes.String() })
      .to(output, { valueSerde: Serdes.String() });
    const streams = testStreams(builder.build(), {
      applicationId,
      processingGuarantee: 'exactly_once',
      // A send to a missing topic fails within a second or two, not after kafkajs's default retries.
      kafka: { retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 } },
      // A missing topic may be one not created yet, so it is waited out (the tasks going back to their last
      // commit each time), for this long; then the instance stops.
      taskTimeoutMs: 3_000,
    });
    context.running.push(streams);
    const producer = context.kafka.producer();
    await producer.connect();
    const send = (from: number) =>
      producer.send({
        topic: input,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${from + i}`, value: String(from + i) })),
      });
    await send(0);
    await streams.start();
    await eventually(
      () => committedOffset(applicationId, input),
      (offset) => offset === '10',
    );

    // Without its output topic, the next transaction fails; the commit timer queues commits meanwhile.
    await context.admin.deleteTopics({ topics: [output] });
    await send(10);
    await producer.disconnect();
    await eventually(
      () => streams.state,
      (state) => state === 'NOT_RUNNING',
      60_000,
    );

    expect(streams.error).toMatchObject({ code: 'COMMIT_FAILED' });
    expect(await committedOffset(applicationId, input)).toBe('10');
  });
});
