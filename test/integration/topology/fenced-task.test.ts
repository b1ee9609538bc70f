import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, testStreams, useStreamsTestContext } from '../../support/streams.js';

describe('a task fenced while no rebalance follows', () => {
  const context = useStreamsTestContext();

  // The chaos bench stalled this way: a restarted instance, not yet aware that the group had given a task
  // back to its former owner, fenced that owner's producer and then closed the task itself. The owner closed
  // the task too and waited for a rebalance that never came: nobody processed the partition again.
  it('is opened again from its last commit and counts every record exactly once', async () => {
    const input = uniqueName('fenced-in');
    const applicationId = uniqueName('fenced-app');
    await createTopics(context.admin, { [input]: 1 });
    const builder = new StreamsBuilder();
    builder.stream<string, string>(input, { valueSerde: Serdes.String() }).groupByKey().count('counts');
    const streams = testStreams(builder.build(), {
      applicationId,
      processingGuarantee: 'exactly_once',
      commitIntervalMs: 200,
      sessionTimeoutMs: 6_000,
    });
    context.running.push(streams);
    const producer = context.kafka.producer();
    await producer.connect();
    const send = (count: number) =>
      producer.send({
        topic: input,
        messages: Array.from({ length: count }, () => ({ key: 'k', value: 'v' })),
      });
    await send(10);
    await streams.start();
    const store = streams.store<string, number>('counts');
    await eventually(
      () => store.get('k'),
      (count) => count === 10,
    );

    // A zombie of task 0_0 takes its transactional id: the task's producer is fenced at its next transaction.
    const zombie = context.kafka.producer({
      transactionalId: `${applicationId}-0_0`,
      maxInFlightRequests: 1,
    });
    await zombie.connect();
    const transaction = await zombie.transaction();
    await transaction.abort();
    await zombie.disconnect();
    await send(10);

    const fencedCommits = async () => {
      const text = await streams.metrics.registry.getSingleMetricAsString('probestream_fenced_commits_total');
      return Number(/probestream_fenced_commits_total(?:{[^}]*})? (\d+)/.exec(text)?.[1] ?? 0);
    };
    await eventually(fencedCommits, (count) => count >= 1, 30_000);
    await send(5);
    // Offsets are committed only by a transaction that committed: the fenced one's never are.
    const committed = async () =>
      (await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] }))[0]?.partitions[0]
        ?.offset;
    await eventually(committed, (offset) => offset === '25', 30_000);
    await eventually(
      () => store.get('k'),
      (count) => count === 25,
    );
    expect(streams.state).toBe('RUNNING');
  });
});
