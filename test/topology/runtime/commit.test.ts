import { describe, expect, it } from 'vitest';
import { boundedRequests } from '../../../src/topology/kafka/record-size.js';
import { chunkSize, commitTransactions, type PreparedTask } from '../../../src/topology/runtime/commit.js';
import type { ResolvedRecord } from '../../../src/topology/runtime/record-collector.js';

function records(count: number): ResolvedRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: i % 3,
    key: null,
    value: Buffer.from(String(i)),
    timestamp: '0',
  }));
}

describe('chunkSize', () => {
  it('sends a commit of a few thousand records in small chunks, each encoded in a millisecond or two', () => {
    expect(chunkSize(10)).toBe(250);
    expect(chunkSize(13_000)).toBe(250);
  });

  it('sends a large commit in larger chunks, up to 1,000 records', () => {
    expect(chunkSize(32_000)).toBe(500);
    expect(chunkSize(1_000_000)).toBe(1000);
  });
});

describe('boundedRequests by count', () => {
  it('cuts records of several topics into chunks of the given size, in order, losing none', () => {
    const byTopic: [string, ResolvedRecord[]][] = [
      ['a', records(600)],
      ['b', records(150)],
    ];
    const limits = { maxRecords: 250, maxRequestBytes: 1e8, maxMessageBytes: () => 1e8 };
    const chunks = [...boundedRequests(byTopic, limits, (r) => r.partition)];
    expect(chunks.map((chunk) => chunk.reduce((n, { messages }) => n + messages.length, 0))).toEqual([
      250, 250, 250,
    ]);
    expect(chunks[2]?.map(({ topic, messages }) => [topic, messages.length])).toEqual([
      ['a', 100],
      ['b', 150],
    ]);
    const values = chunks.flatMap((chunk) =>
      chunk
        .filter(({ topic }) => topic === 'a')
        .flatMap(({ messages }) => messages.map((m) => String(m.value))),
    );
    expect(values).toEqual(Array.from({ length: 600 }, (_, i) => String(i)));
  });
});

describe('commitTransactions', () => {
  const tasks = ['0_0', '0_1', '0_2'].map((idString) => ({ idString }) as unknown as PreparedTask);

  it('resolves with the tasks whose transaction committed, leaving out the fenced ones', async () => {
    const committed = await commitTransactions(tasks, async (task) => task !== tasks[1]);
    expect(committed).toEqual([tasks[0], tasks[2]]);
  });

  it('reports a failed transaction only once every other transaction of the commit has ended', async () => {
    let slowEnded = false;
    const failure = new Error('the broker went away');
    const outcome = commitTransactions(tasks, async (task) => {
      if (task === tasks[0]) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 50));
      slowEnded = true;
      return true;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(slowEnded).toBe(true);
  });
});
