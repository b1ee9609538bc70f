import { describe, expect, inject, it } from 'vitest';
import { lineLogger } from '../../../src/logging/index.js';
import { type Logger, type StreamsState, WorkerStreams } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, newStateDir, useStreamsTestContext } from '../../support/streams.js';
import { buildCountTopology, COUNT_TOPOLOGY_MODULE } from '../../support/worker-topology.js';

function workerStreams(
  input: string,
  applicationId: string,
  options: {
    kafka?: object;
    gate?: SharedArrayBuffer;
    exitOnRecord?: boolean;
    sessionTimeoutMs?: number;
    logger?: Logger;
  } = {},
): WorkerStreams {
  const { kafka, gate, exitOnRecord, sessionTimeoutMs = 10_000, logger } = options;
  const args = { input, ...(gate ? { gate } : {}), ...(exitOnRecord ? { exitOnRecord } : {}) };
  return new WorkerStreams(
    buildCountTopology(args),
    { module: COUNT_TOPOLOGY_MODULE, exportName: 'buildCountTopology', args },
    {
      applicationId,
      bootstrapServers: inject('kafkaBrokers'),
      commitIntervalMs: 200,
      sessionTimeoutMs,
      stateDir: newStateDir(),
      ...(kafka ? { kafka } : {}),
      ...(logger ? { logger } : {}),
    },
  );
}

describe('a topology in a worker thread (WorkerStreams) on the real broker', () => {
  const context = useStreamsTestContext();

  it('answers lookups from its mirror as the worker processes, lists entries and serves metrics', async () => {
    const input = uniqueName('ws-in');
    await createTopics(context.admin, { [input]: 3 });
    const gate = new SharedArrayBuffer(8);
    // The mirror is trusted while the worker had a free turn in the last half session timeout (3 s).
    const logged: string[] = [];
    const logger = lineLogger((line) => logged.push(line), 'debug');
    const streams = workerStreams(input, uniqueName('ws-app'), { gate, sessionTimeoutMs: 6_000, logger });
    context.running.push(streams);
    const states: string[] = [];
    streams.onStateChange((next, previous) => states.push(`${previous}->${next}`));
    await streams.start();
    await streams.waitForState('RUNNING');
    expect(streams.isReady()).toBe(true);
    // The worker's kafkajs entries, at debug, reach the logger that stayed on this thread.
    expect(logged).toContainEqual(
      expect.stringMatching(/^kafkajs: ConsumerGroup: Consumer has joined the group \{"groupId":/),
    );

    const producer = context.kafka.producer();
    await producer.connect();
    const keys = Array.from({ length: 30 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
    // key-NN gets NN + 1 records; its last value is `v<NN>`.
    await producer.send({
      topic: input,
      messages: keys.flatMap((key, i) => Array.from({ length: i + 1 }, () => ({ key, value: `v${i}` }))),
    });
    await producer.disconnect();

    await eventually(
      () => Promise.all(keys.map((key) => streams.queryLocal<string, number>('counts', key))),
      (answers) => answers.every((answer, i) => answer.kind === 'active' && answer.value === i + 1),
    );
    // Every key of the 3 partitions is here; the mirror answers without the worker.
    const last = await streams.queryLocal<string, string>('last', 'key-07');
    expect(last).toMatchObject({ kind: 'active', value: 'v7' });
    expect(await streams.queryLocal('counts', 'nobody')).toMatchObject({ kind: 'active', value: undefined });
    expect(streams.store<string, number>('counts').get('key-29')).toBe(30);
    expect(streams.store<string, number>('counts').approximateNumEntries()).toBe(30);

    // A listing comes from the worker in chunks, in key order, from `from` inclusive.
    const listed: string[] = [];
    for await (const { key, value } of streams.localEntries<string, number>('counts', { from: 'key-10' }))
      listed.push(`${key}=${value}`);
    expect(listed).toEqual(keys.slice(10).map((key, i) => `${key}=${i + 11}`));
    const ranged: string[] = [];
    for await (const { key } of streams.store<string, number>('counts').range('key-03', 'key-05'))
      ranged.push(key);
    expect(ranged).toEqual(['key-03', 'key-04', 'key-05']);

    expect(streams.queryMetadataForKey('counts', 'key-01')).toMatchObject({ activeHost: null });
    expect(streams.localStoreLags().filter((lag) => lag.role === 'active').length).toBe(6);
    const metrics = await streams.metrics.registry.metrics();
    expect(metrics).toMatch(
      /^probestream_records_processed_total\{topic="[^"]+",application_id="[^"]+"\} 465$/m,
    );
    await expect(streams.queryLocal('no-such-store', 'k')).rejects.toMatchObject({
      code: 'INVALID_STATE_STORE',
    });

    // A listing longer than one chunk (256) from the worker: every key once, in order.
    const bulk = Array.from({ length: 600 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    const bulkProducer = context.kafka.producer();
    await bulkProducer.connect();
    await bulkProducer.send({ topic: input, messages: bulk.map((key) => ({ key, value: 'b' })) });
    await bulkProducer.disconnect();
    const listAll = async () => {
      const all: string[] = [];
      for await (const { key } of streams.localEntries<string, number>('counts')) all.push(key);
      return all;
    };
    const all = await eventually(listAll, (listed) => listed.length >= 630);
    expect(all).toEqual([...bulk, ...keys]);

    // While the worker is held in a processor, the mirror still answers (a round trip would never end).
    const blocker = context.kafka.producer();
    await blocker.connect();
    await blocker.send({ topic: input, messages: [{ key: 'key-00', value: 'block' }] });
    await blocker.disconnect();
    const held = new Int32Array(gate);
    await eventually(
      () => Atomics.load(held, 1),
      (flag) => flag === 1,
    );
    const heldAt = Date.now();
    const whileHeld = await Promise.all(keys.map((key) => streams.queryLocal<string, number>('counts', key)));
    expect(whileHeld.map((answer) => answer.kind === 'active' && answer.value)).toEqual(
      keys.map((_, i) => i + 1),
    );
    // Held for longer than that, the worker might have lost its tasks without knowing: lookups wait for it.
    await new Promise((resolve) => setTimeout(resolve, 3_200 - (Date.now() - heldAt)));
    const waiting = streams.queryLocal<string, number>('counts', 'key-05');
    const early = await Promise.race([
      waiting.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 300)),
    ]);
    expect(early).toBe('waiting');
    Atomics.store(held, 0, 1);
    Atomics.notify(held, 0);
    expect(await waiting).toMatchObject({ kind: 'active', value: 6 });
    await eventually(
      () => streams.queryLocal<string, number>('counts', 'key-00'),
      (answer) => answer.kind === 'active' && answer.value === 2,
    );

    await streams.close();
    expect(streams.state).toBe('NOT_RUNNING');
    expect(states).toEqual([
      'CREATED->REBALANCING',
      'REBALANCING->RUNNING',
      'RUNNING->PENDING_SHUTDOWN',
      'PENDING_SHUTDOWN->NOT_RUNNING',
    ]);
    await expect(streams.queryLocal('counts', 'key-01')).resolves.toMatchObject({
      kind: 'unavailable',
      reason: 'not-running',
    });
  });

  it('refuses a source that builds another topology, and a config that cannot reach a thread', async () => {
    const input = uniqueName('ws-bad');
    await createTopics(context.admin, { [input]: 1 });
    const args = { input, variant: true };
    const mismatched = new WorkerStreams(
      buildCountTopology({ input }),
      { module: COUNT_TOPOLOGY_MODULE, exportName: 'buildCountTopology', args },
      {
        applicationId: uniqueName('ws-bad'),
        bootstrapServers: inject('kafkaBrokers'),
        stateDir: newStateDir(),
      },
    );
    context.running.push(mismatched);
    await expect(mismatched.start()).rejects.toMatchObject({ code: 'TOPOLOGY_MISMATCH' });
    expect(mismatched.state).toBe('ERROR' satisfies StreamsState);

    const withFunction = workerStreams(input, uniqueName('ws-bad'), {
      kafka: { logCreator: () => () => undefined },
    });
    context.running.push(withFunction);
    await expect(withFunction.start()).rejects.toMatchObject({
      code: 'WORKER_FAILED',
      message: expect.stringContaining('plain data'),
    });
  });

  it('fails in state ERROR, with the reason, when its worker thread ends', async () => {
    const input = uniqueName('ws-exit');
    await createTopics(context.admin, { [input]: 1 });
    const streams = workerStreams(input, uniqueName('ws-exit'), { exitOnRecord: true });
    context.running.push(streams);
    const failures: Error[] = [];
    streams.setUncaughtExceptionHandler((error) => failures.push(error));
    await streams.start();
    await streams.waitForState('RUNNING');
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages: [{ key: 'k', value: 'exit' }] });
    await producer.disconnect();
    await eventually(
      () => streams.state,
      (state) => state === 'ERROR',
    );
    expect(failures.map((error) => [(error as { code?: string }).code, error.message])).toEqual([
      ['WORKER_FAILED', "the engine's worker thread ended (exit code 7)"],
    ]);
    expect(streams.error).toBe(failures[0]);
    await expect(streams.queryLocal('counts', 'k')).resolves.toMatchObject({ kind: 'unavailable' });
    await expect(streams.metrics.registry.metrics()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await streams.close();
    expect(streams.state).toBe('NOT_RUNNING');
  });
});
