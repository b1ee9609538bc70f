import { describe, expect, it } from 'vitest';
import { Serdes } from '../../../src/serdes/index.js';
import { StreamsBuilder } from '../../../src/topology/dsl/streams-builder.js';
import { TimeWindows } from '../../../src/topology/dsl/windows.js';
import { maxRecordBytes } from '../../../src/topology/kafka/record-size.js';
import type { OutgoingRecord, RecordCollector } from '../../../src/topology/runtime/record-collector.js';
import { StreamTask, type TaskEnvironment } from '../../../src/topology/runtime/task.js';

/**
 * The single task of `builder`'s topology reading `in`, with `env` over a plain environment; `pipe` feeds it
 * one record of `key` at `timestamp`, offsets counting from 0.
 */
function singleTask(builder: StreamsBuilder, env: Partial<TaskEnvironment> & { collector: RecordCollector }) {
  const topology = builder.build();
  const [sub] = topology.subtopologies();
  if (!sub) throw new Error('no sub-topology');
  const task = new StreamTask({ subtopology: sub.id, partition: 0 }, sub, topology, {
    applicationId: 'faf',
    topicName: (topic, internal) => (internal ? `faf-${topic}` : topic),
    changelogTopic: (store) => `faf-${store}-changelog`,
    partitions: () => 1,
    deserializationExceptionHandler: 'dlq',
    processingExceptionHandler: 'dlq',
    productionExceptionHandler: 'dlq',
    maxRecordBytes: () => maxRecordBytes(1_000_000),
    ...env,
  });
  let offset = 0;
  const pipe = (key: string, timestamp: number) =>
    task.process('in', 0, {
      key: Buffer.from(key),
      value: Buffer.from('x'),
      timestamp: String(timestamp),
      offset: String(offset++),
      headers: {},
    });
  return { task, pipe };
}

/** One task of `in` → count per key → `out`, where the count 13 makes user code throw. */
function countingTask(forwardAtFlush: boolean) {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .count('counts')
    .toStream()
    .mapValues((count) => {
      if (count === 13) throw new Error('thirteen');
      return count;
    })
    .to('out', { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
  const sent: OutgoingRecord[] = [];
  const { task, pipe: pipeAt } = singleTask(builder, {
    collector: { send: (record) => sent.push(record) },
    forwardAtFlush,
  });
  let records = 0;
  const pipe = (key: string) => pipeAt(key, 1000 + records++);
  const out = () =>
    sent.filter((r) => r.topic === 'out').map((r) => [String(r.key), r.value?.readBigInt64BE()]);
  return { task, pipe, sent, out };
}

describe('a table aggregation with its task holding forwards to the flush', () => {
  it('sends each key once per flush, its latest count, with the timestamp of the record that made it', () => {
    const { task, pipe, sent, out } = countingTask(true);
    for (const key of ['a', 'b', 'a', 'a', 'b']) pipe(key);
    expect(out()).toEqual([]);
    task.flush();
    expect(out()).toEqual([
      ['a', 3n],
      ['b', 2n],
    ]);
    expect(sent.filter((r) => r.topic === 'out').map((r) => r.timestamp)).toEqual([1003, 1004]);
    pipe('a');
    task.flush();
    expect(out().slice(2)).toEqual([['a', 4n]]);
  });

  it('drops what it holds when the task goes back to its last commit', () => {
    const { task, pipe, out } = countingTask(true);
    pipe('a');
    task.discard();
    task.flush();
    expect(out()).toEqual([]);
  });

  it('sends every update at once when caching is off', () => {
    const { pipe, out } = countingTask(false);
    for (const key of ['a', 'a', 'b']) pipe(key);
    expect(out()).toEqual([
      ['a', 1n],
      ['a', 2n],
      ['b', 1n],
    ]);
  });

  it('sends a held update that user code fails on to the DLQ as the source record that made it', () => {
    const { task, pipe, sent, out } = countingTask(true);
    for (let i = 0; i < 13; i++) pipe('k');
    pipe('other');
    task.flush();
    const [dead] = sent.filter((r) => r.topic === 'faf-dlq');
    expect(dead?.headers?.['probestream.source.offset']).toBe('12');
    expect(dead?.headers?.['probestream.error.code']).toBe('PROCESSING_FAILED');
    // The failure stopped nothing: the other key went on.
    expect(out()).toEqual([['other', 1n]]);
  });
});

describe('a task going back to its last commit', () => {
  it('takes its windowed stores back to the stream time of that commit', () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(1000))
      .count({ storeName: 'per-second' });
    const dropped: string[] = [];
    const { task, pipe: pipeKey } = singleTask(builder, {
      collector: { send: () => undefined },
      onDrop: (_node, reason) => dropped.push(reason),
      forwardAtFlush: true,
    });
    const pipe = (timestamp: number) => pipeKey('k', timestamp);
    pipe(1000);
    task.flush();
    pipe(5000);
    task.discard();
    // Stream time is 1000 again: the window [1000, 2000) is open, so a record at 1500 counts.
    pipe(1500);
    expect(dropped).toEqual([]);
    pipe(5000);
    pipe(1600);
    expect(dropped).toEqual(['late']);
  });
});
