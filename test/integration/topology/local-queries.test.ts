import { describe, expect, it } from 'vitest';
import {
  type KafkaStreams,
  type LocalQueryResult,
  Serdes,
  StreamsBuilder,
} from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, testStreams, useStreamsTestContext } from '../../support/streams.js';

/** Counts records per key in a persistent, logged store `counts`. */
function countTopology(input: string) {
  const builder = new StreamsBuilder();
  builder.stream<string, string>(input, { valueSerde: Serdes.String() }).groupByKey().count('counts');
  return builder.build();
}

/** Keys whose UTF-8 byte order differs from JS string order, and plain ones. */
const KEYS = [
  'device-é',
  'device-\uFF01',
  'device-\u{1D11E}',
  'device-Z',
  ...Array.from({ length: 16 }, (_, i) => `device-${i}`),
];

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function entriesOf(streams: KafkaStreams, from?: string): Promise<[string, number][]> {
  const out: [string, number][] = [];
  const options = from === undefined ? {} : { from };
  for await (const { key, value } of streams.localEntries<string, number>('counts', options))
    out.push([key, value]);
  return out;
}

describe('local queries of a running application', () => {
  const context = useStreamsTestContext();

  async function produce(input: string, rounds: number): Promise<Map<string, number>> {
    const producer = context.kafka.producer();
    await producer.connect();
    const truth = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      const messages = KEYS.filter((_, i) => (i + round) % 3 !== 0).map((key) => {
        truth.set(key, (truth.get(key) ?? 0) + 1);
        return { key, value: `r${round}` };
      });
      await producer.send({ topic: input, messages });
    }
    await producer.disconnect();
    return truth;
  }

  it('one instance: not ready and unable to answer until its restored tasks run, then answers every key as active', {
    timeout: 90_000,
  }, async () => {
    const input = uniqueName('lq-one-in');
    const applicationId = uniqueName('lq-one-app');
    await createTopics(context.admin, { [input]: 3 });
    const truth = await produce(input, 5);

    // A first instance counts everything and commits, leaving the counts in the changelog only.
    const first = testStreams(countTopology(input), { applicationId });
    context.running.push(first);
    await first.start();
    await first.waitForState('RUNNING');
    await eventually(
      () => KEYS.map((key) => first.queryLocal<string, number>('counts', key)),
      (answers) =>
        answers.every(
          (answer, i) => answer.kind === 'active' && answer.value === truth.get(KEYS[i] as string),
        ),
    );
    await first.close();
    expect(first.queryLocal('counts', 'device-1')).toEqual({
      kind: 'unavailable',
      partition: expect.any(Number),
      reason: 'not-running',
    });

    // A second one, with empty state, restores them before it is ready.
    const second = testStreams(countTopology(input), { applicationId });
    context.running.push(second);
    expect(second.isReady()).toBe(false);
    expect(() => second.queryLocal('counts', 'device-1')).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_STORE' }),
    );
    const readiness: [string, boolean][] = [];
    second.onStateChange((state) => readiness.push([state, second.isReady()]));
    await second.start();
    expect(second.isReady()).toBe(false);
    // Not yet assigned, or restoring: never the active answer.
    expect(second.queryLocal<string, number>('counts', 'device-1', { includeStale: true }).kind).not.toBe(
      'active',
    );
    await second.waitForState('RUNNING');
    expect(second.isReady()).toBe(true);
    expect(readiness).toEqual([
      ['REBALANCING', false],
      ['RUNNING', true],
    ]);

    for (const key of KEYS) {
      const { partition } = second.queryMetadataForKey('counts', key);
      expect(second.queryLocal<string, number>('counts', key)).toEqual({
        kind: 'active',
        partition,
        value: truth.get(key),
      });
    }
    expect(second.queryLocal<string, number>('counts', 'never-seen')).toEqual({
      kind: 'active',
      partition: second.queryMetadataForKey('counts', 'never-seen').partition,
      value: undefined,
    });
    expect(second.localStoreLags()).toEqual(
      [0, 1, 2].map((partition) => ({
        store: 'counts',
        partition,
        role: 'active',
        restoring: false,
        lag: 0,
      })),
    );
    const sorted = [...truth].sort(([a], [b]) => byBytes(a, b));
    expect(await entriesOf(second)).toEqual(sorted);
    expect(await entriesOf(second, 'device-Z')).toEqual(
      sorted.slice(sorted.findIndex(([key]) => key === 'device-Z')),
    );
    await second.close();
  });

  it('two instances with a standby each: the other instance answers a key as stale, lag 0, only when asked to', {
    timeout: 120_000,
  }, async () => {
    const input = uniqueName('lq-two-in');
    const applicationId = uniqueName('lq-two-app');
    await createTopics(context.admin, { [input]: 4 });
    const start = (server: string) => {
      const streams = testStreams(countTopology(input), {
        applicationId,
        applicationServer: server,
        numStandbyReplicas: 1,
      });
      context.running.push(streams);
      return streams;
    };
    const a = start('127.0.0.1:7201');
    const b = start('127.0.0.1:7202');
    await Promise.all([a.start(), b.start()]);
    await eventually(
      () => a.metadataForAllStreamsClients(),
      (clients) =>
        clients.length === 2 &&
        clients.every((c) => c.activeTasks.length === 2 && c.standbyTasks.length === 2),
    );
    await Promise.all([a.waitForState('RUNNING'), b.waitForState('RUNNING')]);
    const truth = await produce(input, 6);
    const servers = new Map([
      ['127.0.0.1:7201', a],
      ['127.0.0.1:7202', b],
    ]);

    for (const key of KEYS) {
      const { activeHost, partition } = a.queryMetadataForKey('counts', key);
      const owner = servers.get(activeHost as string) as KafkaStreams;
      const other = owner === a ? b : a;
      const expected = truth.get(key);
      await eventually(
        () => owner.queryLocal<string, number>('counts', key),
        (answer) => answer.kind === 'active' && answer.value === expected,
      );
      expect(owner.queryLocal<string, number>('counts', key)).toEqual({
        kind: 'active',
        partition,
        value: expected,
      });
      const stale = await eventually<LocalQueryResult<number>>(
        () => other.queryLocal<string, number>('counts', key, { includeStale: true }),
        (answer) => answer.kind === 'stale' && answer.value === expected && answer.lag === 0,
      );
      expect(stale).toEqual({ kind: 'stale', partition, value: expected, lag: 0 });
      expect(other.queryLocal<string, number>('counts', key)).toEqual({
        kind: 'unavailable',
        partition,
        reason: 'not-local',
      });
    }

    for (const streams of [a, b]) {
      const lags = streams.localStoreLags();
      expect(lags.map((lag) => lag.partition)).toEqual([0, 1, 2, 3]);
      expect(lags.filter((lag) => lag.role === 'active').map((lag) => lag.partition)).toEqual(
        streams
          .metadataForAllStreamsClients()
          .find((client) => client.hostInfo === (streams === a ? '127.0.0.1:7201' : '127.0.0.1:7202'))
          ?.activeTasks.map((task) => Number(task.split('_')[1])),
      );
      expect(lags.every((lag) => lag.store === 'counts' && lag.lag === 0 && !lag.restoring)).toBe(true);
      expect(streams.isReady()).toBe(true);
    }

    const [fromA, fromB] = await Promise.all([entriesOf(a), entriesOf(b)]);
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    expect(fromA).toEqual([...fromA].sort(([x], [y]) => byBytes(x, y)));
    expect(fromB).toEqual([...fromB].sort(([x], [y]) => byBytes(x, y)));
    expect([...fromA, ...fromB].sort(([x], [y]) => byBytes(x, y))).toEqual(
      [...truth].sort(([x], [y]) => byBytes(x, y)),
    );
  });
});
