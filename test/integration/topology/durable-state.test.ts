import { rm } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import {
  type KafkaStreams,
  type ProcessingGuarantee,
  Serdes,
  StreamsBuilder,
} from '../../../src/topology/index.js';
import { StreamsChild } from '../../support/child-process.js';
import { uniqueName } from '../../support/kafka.js';
import {
  createTopics,
  eventually,
  newStateDir,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

function countTopology(input: string) {
  const builder = new StreamsBuilder();
  builder.stream<string, string>(input, { valueSerde: Serdes.String() }).groupByKey().count('counts');
  return builder.build();
}

async function total(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('durable state on LevelDB, replicated to changelogs', () => {
  const context = useStreamsTestContext();

  async function produceCounts(topic: string, keys: number, perKey: number): Promise<Map<string, number>> {
    const producer = context.kafka.producer();
    await producer.connect();
    const truth = new Map<string, number>();
    const messages = [];
    for (let round = 0; round < perKey; round++) {
      for (let k = 0; k < keys; k++) {
        messages.push({ key: `key-${k}`, value: String(round) });
        truth.set(`key-${k}`, (truth.get(`key-${k}`) ?? 0) + 1);
      }
    }
    await producer.send({ topic, messages });
    await producer.disconnect();
    return truth;
  }

  async function countsOf(
    streams: KafkaStreams,
    keys: Iterable<string>,
  ): Promise<Record<string, number | undefined>> {
    const store = streams.store<string, number>('counts');
    return Object.fromEntries([...keys].map((key) => [key, store.get(key)]));
  }

  /**
   * A child process at `ports[0]` and an instance here at `ports[1]`, one standby replica each, both
   * running with two of the input's four tasks: the child is there to be killed.
   */
  async function childAndSurvivor(prefix: string, ports: readonly [number, number]) {
    const input = uniqueName(`${prefix}-in`);
    const applicationId = uniqueName(`${prefix}-app`);
    await createTopics(context.admin, { [input]: 4 });
    const child = new StreamsChild({
      brokers: inject('kafkaBrokers'),
      applicationId,
      input,
      stateDir: newStateDir(),
      guarantee: 'at_least_once',
      commitIntervalMs: 200,
      applicationServer: `127.0.0.1:${ports[0]}`,
      numStandbyReplicas: 1,
    });
    await child.waitFor('RUNNING');
    const survivor = testStreams(countTopology(input), {
      applicationId,
      applicationServer: `127.0.0.1:${ports[1]}`,
      numStandbyReplicas: 1,
    });
    context.running.push(survivor);
    await survivor.start();
    await eventually(
      () => survivor.metadataForAllStreamsClients(),
      (clients) =>
        clients.length === 2 &&
        clients.every((c) => c.activeTasks.length === 2 && c.standbyTasks.length === 2),
    );
    return { input, applicationId, child, survivor };
  }

  async function startAndCatchUp(streams: KafkaStreams, truth: Map<string, number>) {
    context.running.push(streams);
    await streams.start();
    await streams.waitForState('RUNNING');
    return eventually(
      () => countsOf(streams, truth.keys()),
      (counts) => [...truth].every(([key, count]) => counts[key] === count),
    );
  }

  it('keeps counts across a clean restart, restoring nothing, and rebuilds them from the changelog when the state is deleted', async () => {
    const input = uniqueName('durable-in');
    const applicationId = uniqueName('durable-app');
    const stateDir = newStateDir();
    await createTopics(context.admin, { [input]: 2 });
    const truth = await produceCounts(input, 50, 4);

    const first = testStreams(countTopology(input), { applicationId, stateDir });
    const expected = await startAndCatchUp(first, truth);
    await first.close();

    // A clean restart: the LevelDB stores hold the data and the changelog offset it reflects.
    const second = testStreams(countTopology(input), { applicationId, stateDir });
    expect(await startAndCatchUp(second, truth)).toEqual(expected);
    expect(await total(second.metrics.restoredRecords)).toBe(0);
    await second.close();

    // The state directory deleted: identical answers, rebuilt from the changelog.
    await rm(stateDir, { recursive: true, force: true });
    const third = testStreams(countTopology(input), { applicationId, stateDir });
    expect(await startAndCatchUp(third, truth)).toEqual(expected);
    expect(await total(third.metrics.restoredRecords)).toBeGreaterThanOrEqual(50);
    await third.close();
  });

  it('fences a zombie: a commit after a newer producer of the task took over is refused, and nothing of it lands', async () => {
    const [input, output] = [uniqueName('zombie-in'), uniqueName('zombie-out')];
    const applicationId = uniqueName('zombie-app');
    await createTopics(context.admin, { [input]: 1, [output]: 1 });
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>(input, { valueSerde: Serdes.String() })
      .to(output, { valueSerde: Serdes.String() });
    const zombie = testStreams(builder.build(), { applicationId, processingGuarantee: 'exactly_once' });
    context.running.push(zombie);
    await zombie.start();
    await zombie.waitForState('RUNNING');

    // What a new owner of task 0_0 does first: initialise the task's transactional producer.
    const successor = context.kafka.producer({
      transactionalId: `${applicationId}-0_0`,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await successor.connect();
    await (await successor.transaction()).abort();

    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({ topic: input, messages: [{ key: 'a', value: 'late' }] });
    await producer.disconnect();

    await eventually(
      () => total(zombie.metrics.fencedCommits),
      (fenced) => fenced === 1,
    );
    const offsets = await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] });
    expect(offsets[0]?.partitions).toEqual([{ partition: 0, offset: '-1', metadata: null }]);
    // Neither the output nor the input offset of the refused transaction is visible.
    const reader = context.kafka.consumer({
      groupId: uniqueName('zombie-reader'),
      readUncommitted: false,
      maxWaitTimeInMs: 100,
    });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    const seen: string[] = [];
    await reader.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await sleep(1500);
    await reader.disconnect();
    expect(seen).toEqual([]);
    await successor.disconnect();
  });

  async function killCycles(guarantee: ProcessingGuarantee, cycles: number) {
    const input = uniqueName(`kill-${guarantee}-in`);
    const applicationId = uniqueName(`kill-${guarantee}-app`);
    const stateDir = newStateDir();
    await createTopics(context.admin, { [input]: 2 });
    const settings = {
      brokers: inject('kafkaBrokers'),
      applicationId,
      input,
      stateDir,
      guarantee,
      commitIntervalMs: 300,
    };
    const producer = context.kafka.producer();
    await producer.connect();
    const truth = new Map<string, number>();
    let produced = 0;
    let producing = true;
    // About 2,000 records a second, so one commit interval holds about 600.
    const background = (async () => {
      while (producing) {
        const messages = Array.from({ length: 100 }, (_, i) => {
          const key = `mac-${(produced + i) % 40}`;
          truth.set(key, (truth.get(key) ?? 0) + 1);
          return { key, value: String(produced + i) };
        });
        produced += messages.length;
        await producer.send({ topic: input, messages });
        await sleep(50);
      }
    })();
    for (let cycle = 0; cycle < cycles; cycle++) {
      const child = new StreamsChild(settings);
      await child.waitFor('RUNNING');
      await sleep(800 + cycle * 150);
      await child.kill();
    }
    producing = false;
    await background;
    await producer.disconnect();

    const final = testStreams(countTopology(input), {
      applicationId,
      stateDir,
      processingGuarantee: guarantee,
    });
    context.running.push(final);
    await final.start();
    await final.waitForState('RUNNING');
    await eventually(
      async () =>
        (await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] }))[0]?.partitions ?? [],
      (partitions) => partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === produced,
      60_000,
    );
    const counts = await countsOf(final, truth.keys());
    await final.close();
    return { truth, counts, produced };
  }

  it('at-least-once, killed with SIGKILL three times mid-stream: every count >= the truth, over by less than a commit interval per kill', {
    timeout: 120_000,
  }, async () => {
    const { truth, counts, produced } = await killCycles('at_least_once', 3);
    let excess = 0;
    for (const [key, count] of truth) {
      expect(counts[key]).toBeGreaterThanOrEqual(count);
      excess += (counts[key] ?? 0) - count;
    }
    expect(produced).toBeGreaterThan(3000);
    // A kill replays at most what one commit covered: ~600 records at this rate; 3 kills, with margin.
    expect(excess).toBeLessThanOrEqual(3 * 1200);
  });

  it('exactly-once, killed with SIGKILL five times in a row mid-stream: every count equals the truth', {
    timeout: 150_000,
  }, async () => {
    const { truth, counts, produced } = await killCycles('exactly_once', 5);
    expect(produced).toBeGreaterThan(4000);
    expect(counts).toEqual(Object.fromEntries(truth));
  });

  it('fails over to the survivor of two instances, which answers for every key without restoring from 0, thanks to its standby', {
    timeout: 120_000,
  }, async () => {
    const { input, applicationId, child, survivor } = await childAndSurvivor('failover', [7101, 7102]);
    const truth = await produceCounts(input, 40, 30);
    await eventually(
      async () =>
        (await context.admin.fetchOffsets({ groupId: applicationId, topics: [input] }))[0]?.partitions ?? [],
      (partitions) => partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === 1200,
    );
    // The survivor's standbys follow the other instance's changelogs until they stop growing.
    let applied = -1;
    await eventually(
      async () => {
        const now = await total(survivor.metrics.standbyRecords);
        const settled = now > 0 && now === applied;
        applied = now;
        return settled;
      },
      (settled) => settled,
    );
    const restoredBefore = await total(survivor.metrics.restoredRecords);

    await child.kill();
    const counts = await eventually(
      () => countsOf(survivor, truth.keys()),
      (answers) => [...truth].every(([key, count]) => answers[key] === count),
      60_000,
    );
    expect(counts).toEqual(Object.fromEntries(truth));
    // The standby copies may answer before the new assignment's metadata is in: wait for it.
    await eventually(
      () => survivor.metadataForAllStreamsClients().map((c) => c.activeTasks.length),
      (tasks) => JSON.stringify(tasks) === '[4]',
    );
    // Taking over the two tasks read nothing from the changelogs: their standby copies were up to date.
    expect(await total(survivor.metrics.restoredRecords)).toBe(restoredBefore);
  });

  it("routes lookups to the group's copies from its start, before its first assignment, after a restart", {
    timeout: 120_000,
  }, async () => {
    const { input, applicationId, child: killed } = await childAndSurvivor('restart-routing', [7111, 7112]);

    // Restarted on the same address: the group waits out the killed member's session before it assigns
    // anything, and meanwhile the new instance sends every key to the survivor, owner or standby of each.
    await killed.kill();
    const restarted = testStreams(countTopology(input), {
      applicationId,
      applicationServer: '127.0.0.1:7111',
      numStandbyReplicas: 1,
    });
    context.running.push(restarted);
    await restarted.start();
    expect(restarted.state).not.toBe('RUNNING');
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const hosts = keys.map((key) => restarted.queryMetadataForKey('counts', key));
    expect(hosts.map((meta) => meta.activeHost)).toEqual(keys.map(() => null));
    expect(hosts.every((meta) => meta.standbyHosts.includes('127.0.0.1:7112'))).toBe(true);
  });
});
