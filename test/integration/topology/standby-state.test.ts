import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import {
  createTopics,
  eventually,
  newStateDir,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

describe('a standby kept longer than stateCleanupDelayMs', () => {
  const context = useStreamsTestContext();

  // The state clean-up once counted only active tasks as in use: a standby's folder was deleted under it
  // as soon as its assignment was older than the delay, and the copy a failover relies on was gone.
  it('keeps its folder and goes on following its changelog', { timeout: 90_000 }, async () => {
    const input = uniqueName('standby-state-in');
    const applicationId = uniqueName('standby-state-app');
    await createTopics(context.admin, { [input]: 2 });
    const builder = new StreamsBuilder();
    builder.stream<string, string>(input, { valueSerde: Serdes.String() }).groupByKey().count('counts');
    const topology = builder.build();
    const stateDirs = [newStateDir(), newStateDir()];
    const instances = stateDirs.map((stateDir, i) =>
      testStreams(topology, {
        applicationId,
        stateDir,
        applicationServer: `127.0.0.1:${7121 + i}`,
        numStandbyReplicas: 1,
        // Clean-up runs every second and may delete any folder not in use.
        stateCleanupDelayMs: 0,
      }),
    );
    context.running.push(...instances);
    for (const streams of instances) await streams.start();
    await eventually(
      () => instances[0]?.metadataForAllStreamsClients() ?? [],
      (clients) =>
        clients.length === 2 &&
        clients.every((c) => c.activeTasks.length === 1 && c.standbyTasks.length === 1),
    );
    // Several clean-ups pass over the standbys.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const producer = context.kafka.producer();
    await producer.connect();
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await producer.send({ topic: input, messages: keys.map((key) => ({ key, value: 'x' })) });
    await producer.disconnect();
    for (const [i, streams] of instances.entries()) {
      const standby = streams
        .metadataForAllStreamsClients()
        .find((c) => c.hostInfo === `127.0.0.1:${7121 + i}`)?.standbyTasks[0] as string;
      expect(existsSync(join(stateDirs[i] as string, applicationId, standby))).toBe(true);
      // Every key of the standby's partition reaches its copy here: 1 each.
      await eventually(
        () =>
          keys
            .map((key) => streams.queryLocal<string, number>('counts', key, { includeStale: true }))
            .filter((answer) => answer.kind === 'stale'),
        (answers) => answers.length > 0 && answers.every((a) => a.kind === 'stale' && a.value === 1),
      );
    }
  });
});
