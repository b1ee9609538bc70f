import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalKafka, startLocalKafka } from '../../src/local/index.js';

function portAnswers(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The local broker that tests and the demo start by themselves: its own lifecycle, on its own port. */
describe('startLocalKafka', () => {
  const started: LocalKafka[] = [];
  let dataDir: string | undefined;

  afterAll(async () => {
    await Promise.all(started.map((broker) => broker.stop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stops cleanly, leaving no process or listener, and restarts on a kept data folder with its data', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'probestream-kept-'));
    const first = await startLocalKafka({ dataDir });
    started.push(first);
    const kafka = new Kafka({ brokers: [first.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'kept',
      messages: [
        { partition: 1, value: 'a' },
        { partition: 1, value: 'b' },
      ],
    });
    await producer.disconnect();
    await admin.disconnect();

    await first.stop();
    expect(first.process.exited).toBe(true);
    expect(await first.process.waitForExit()).toBe(0);
    expect(isAlive(first.process.pid)).toBe(false);
    expect(await portAnswers(first.brokers)).toBe(false);
    // A clean shutdown, not a kill: the broker logged the end of its own shutdown.
    const log = await readFile(first.logFile, 'utf8');
    expect(log).toMatch(/App info kafka\.server for 1 unregistered/);
    expect(log).not.toContain('killing it');

    const second = await startLocalKafka({ dataDir, port: Number(first.brokers.split(':')[1]) });
    started.push(second);
    expect(second.brokers).toBe(first.brokers);
    const again = new Kafka({ brokers: [second.brokers], logLevel: logLevel.NOTHING }).admin();
    await again.connect();
    const offsets = await again.fetchTopicOffsets('kept');
    await again.disconnect();
    expect(
      offsets
        .map(({ partition, offset }) => ({ partition, offset }))
        .sort((a, b) => a.partition - b.partition),
    ).toEqual([
      { partition: 0, offset: '0' },
      { partition: 1, offset: '2' },
    ]);
  });

  it('restarts after a kill -9 on the same address with the data it acknowledged', async () => {
    const broker = await startLocalKafka();
    started.push(broker);
    const kafka = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crashed', numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'crashed', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    await admin.disconnect();
    const killed = broker.process;

    await broker.restart({ kill: true });
    expect(killed.exited).toBe(true);
    expect(await killed.waitForExit()).toBeNull();
    expect(broker.process).not.toBe(killed);
    expect(await readFile(broker.logFile, 'utf8')).toContain('killed (SIGKILL) on request');
    const again = kafka.admin();
    await again.connect();
    const offsets = await again.fetchTopicOffsets('crashed');
    await again.disconnect();
    expect(offsets.map(({ offset }) => offset)).toEqual(['2']);
  });
});
