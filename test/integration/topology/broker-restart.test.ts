import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalKafka, startLocalKafka } from '../../../src/local/index.js';
import { KafkaStreams, Serdes, StreamsBuilder, type StreamsState } from '../../../src/topology/index.js';
import { eventually, newStateDir } from '../../support/streams.js';

/**
 * This file runs a broker of its own: it kills and restarts it, which the run's shared broker must not see.
 */
describe('an instance while its broker restarts', () => {
  const started: LocalKafka[] = [];
  afterAll(async () => {
    await Promise.all(started.map((broker) => broker.stop()));
  });

  it('waits Kafka out and goes on from its last commit, counting every record exactly once', async () => {
    const broker = await startLocalKafka();
    started.push(broker);
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'words', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    // The broker is killed by the topology itself, as it processes the record `kill`: the commit that
    // follows is sure to find Kafka gone. It waits for the send's acknowledgement, which a loaded machine may
    // deliver after the consumer has the records: a send cut short by the kill fails the test, or doubles
    // the records if retried.
    let killed: Promise<void> | undefined;
    let killSent: Promise<unknown> | undefined;
    const builder = new StreamsBuilder();
    builder
      .stream<string, string>('words', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
      .peek((_key, word) => {
        if (word === 'kill') {
          killed ??= (async () => {
            await killSent;
            await broker.restart({ kill: true, downForMs: 12_000 });
          })();
        }
      })
      .groupBy((_key, word) => word, { name: 'by-word' })
      .count('counts');
    const streams = new KafkaStreams(builder.build(), {
      applicationId: 'restarted',
      bootstrapServers: broker.brokers,
      processingGuarantee: 'exactly_once',
      commitIntervalMs: 200,
      sessionTimeoutMs: 6_000,
      stateDir: newStateDir(),
      // Give up on a request within seconds, so that the commit fails while the broker is down.
      kafka: { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 }, connectionTimeout: 1_000 },
    });
    const states: StreamsState[] = [];
    streams.onStateChange((next) => states.push(next));
    try {
      await streams.start();
      await streams.waitForState('RUNNING');

      const producer = kafka.producer({ retry: { retries: 30, maxRetryTime: 2_000 } });
      await producer.connect();
      const send = (words: string[]) =>
        producer.send({ topic: 'words', messages: words.map((value, i) => ({ key: `k${i}`, value })) });
      const before = Array.from({ length: 100 }, (_, i) => `w${i % 10}`);
      await send(before);
      const store = streams.store<string, number>('counts');
      await eventually(
        () => store.get('w9'),
        (count) => count === 10,
      );

      killSent = send(['kill', ...before]);
      await killSent;
      await eventually(
        () => killed !== undefined,
        (yes) => yes,
      );
      await killed;
      const after = Array.from({ length: 50 }, (_, i) => `w${i % 10}`);
      await send(after);
      await producer.disconnect();

      // 10 + 10 + 5 of each word, and the one `kill`: none lost, none counted twice.
      const expected = Object.fromEntries([
        ...Array.from({ length: 10 }, (_, i) => [`w${i}`, 25]),
        ['kill', 1],
      ]);
      const words = Object.keys(expected);
      await eventually(
        () => Object.fromEntries(words.map((word) => [word, store.get(word)])),
        (counts) => JSON.stringify(counts) === JSON.stringify(expected),
        90_000,
      );
      expect(streams.state).toBe('RUNNING');
      // It said it was waiting (REBALANCING) and came back, without ever stopping.
      expect(states).not.toContain('ERROR');
      expect(states.filter((state) => state === 'RUNNING').length).toBeGreaterThanOrEqual(2);
      const waits = (
        await streams.metrics.registry.getSingleMetric('probestream_kafka_unavailable_total')?.get()
      )?.values;
      expect((waits ?? []).reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(1);
    } finally {
      await streams.close();
    }
  }, 240_000);
});
