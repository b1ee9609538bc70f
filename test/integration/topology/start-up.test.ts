import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalKafka, startLocalKafka } from '../../../src/local/index.js';
import { KafkaStreams, retryWhileTransient, Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { newStateDir } from '../../support/streams.js';

/**
 * Start-ups right after their topics are made, on a fresh broker of this file's own (the run's shared
 * broker has long settled), while another process keeps a core busy: the states a broker passes through
 * then (leaders not elected yet, coordinators loading) are waited out, as `probestream start` does.
 */
describe('starting on a fresh broker', () => {
  const started: LocalKafka[] = [];
  afterAll(async () => {
    await Promise.all(started.map((broker) => broker.stop()));
  });

  it('starts 20 instances in a row right after their topics are created, with no failure', async () => {
    const broker = await startLocalKafka();
    started.push(broker);
    const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const failures: string[] = [];
    const waits: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const topic = `start-${i}`;
        // No waitForLeaders: the instance starts while the broker is still electing them.
        await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
        const builder = new StreamsBuilder();
        builder.stream<string, string>(topic, { valueSerde: Serdes.String() }).groupByKey().count('counts');
        const topology = builder.build();
        let streams: KafkaStreams | undefined;
        try {
          await retryWhileTransient(
            'start',
            async () => {
              const candidate = new KafkaStreams(topology, {
                applicationId: `start-app-${i}`,
                bootstrapServers: broker.brokers,
                stateDir: newStateDir(),
                commitIntervalMs: 200,
                sessionTimeoutMs: 10_000,
              });
              try {
                await candidate.start();
                await candidate.waitForState('RUNNING', 60_000);
                streams = candidate;
              } catch (error) {
                await candidate.close();
                throw error;
              }
            },
            {
              deadline: Date.now() + 120_000,
              signal: new AbortController().signal,
              log: (line) => waits.push(`${i}: ${line}`),
            },
          );
        } catch (error) {
          failures.push(`${i}: ${(error as Error).message}`);
        } finally {
          await streams?.close();
        }
      }
    } finally {
      burner.kill();
      await admin.disconnect();
    }
    if (waits.length > 0) console.log(`start-ups that waited for the broker:\n${waits.join('\n')}`);
    expect(failures).toEqual([]);
  }, 600_000);
});
