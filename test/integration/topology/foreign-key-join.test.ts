import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type KafkaStreams, Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import {
  createTopics,
  eventually,
  newStateDir,
  restoredRecords,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

const DEVICES = 40;
const OWNERS = 6;
const ROUNDS = 5;

interface Device {
  readonly model: string;
  readonly owner?: string;
}

function joinTopology(devices: string, owners: string) {
  const builder = new StreamsBuilder();
  const deviceTable = builder.table<string, Device>(devices);
  const ownerTable = builder.table<string, string>(owners, { valueSerde: Serdes.String() });
  deviceTable.join(
    ownerTable,
    (d) => d.owner,
    (d, name) => `${d.model}@${name}`,
    { storeName: 'device-owners', valueSerde: Serdes.String() },
  );
  return builder.build();
}

/** Every device's row in the join's store (undefined: none). */
async function answers(streams: KafkaStreams) {
  const store = streams.store<string, string>('device-owners');
  return Object.fromEntries([...Array(DEVICES).keys()].map((i) => [`d${i}`, store.get(`d${i}`) ?? null]));
}

describe('foreign-key join on the broker', () => {
  const context = useStreamsTestContext();

  it('follows foreign keys that change under it across partitions, exactly, and restores from its changelogs', async () => {
    const [devices, owners] = [uniqueName('fk-devices'), uniqueName('fk-owners')];
    const applicationId = uniqueName('fk-app');
    const stateDir = newStateDir();
    // Not co-partitioned: 3 and 2 partitions.
    await createTopics(context.admin, { [devices]: 3, [owners]: 2 });

    // Every device moves owner each round, some lose theirs; owners are renamed between rounds.
    const deviceState = new Map<string, Device | null>();
    const ownerState = new Map<string, string | null>();
    const deviceMessages: { key: string; value: string | null }[] = [];
    const ownerMessages: { key: string; value: string | null }[] = [];
    const setOwner = (id: string, name: string | null) => {
      ownerState.set(id, name);
      ownerMessages.push({ key: id, value: name });
    };
    const setDevice = (id: string, device: Device | null) => {
      deviceState.set(id, device);
      deviceMessages.push({ key: id, value: device && JSON.stringify(device) });
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (let o = 0; o < OWNERS; o++) setOwner(`o${o}`, `owner ${o} v${round}`);
      for (let i = 0; i < DEVICES; i++) {
        const owner = round === 3 && i % 7 === 0 ? undefined : `o${(i + round) % OWNERS}`;
        setDevice(`d${i}`, { model: `m${i}`, ...(owner ? { owner } : {}) });
      }
    }
    setOwner('o5', null);
    for (let i = 0; i < DEVICES; i += 10) setDevice(`d${i}`, null);
    const expected = Object.fromEntries(
      [...deviceState].map(([id, device]) => {
        const name = device?.owner ? ownerState.get(device.owner) : null;
        return [id, device && name ? `${device.model}@${name}` : null];
      }),
    );
    // Some rows joined, some not: the deleted owner, the deleted devices.
    const joinedRows = Object.values(expected).filter((v) => v !== null).length;
    expect(joinedRows).toBeGreaterThan(20);
    expect(joinedRows).toBeLessThan(DEVICES);

    const streams = testStreams(joinTopology(devices, owners), { applicationId, stateDir });
    context.running.push(streams);
    await streams.start();
    const producer = context.kafka.producer();
    await producer.connect();
    // Interleaved in rounds, so that answers for old foreign keys cross the new ones' subscriptions.
    const perRound = (messages: typeof deviceMessages, rounds: number) =>
      [...Array(rounds).keys()].map((r) =>
        messages.slice((r * messages.length) / rounds, ((r + 1) * messages.length) / rounds),
      );
    const deviceRounds = perRound(deviceMessages, ROUNDS);
    const ownerRounds = perRound(ownerMessages, ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      await producer.send({ topic: owners, messages: ownerRounds[r] ?? [] });
      await producer.send({ topic: devices, messages: deviceRounds[r] ?? [] });
    }
    await producer.disconnect();
    await eventually(
      () => answers(streams),
      (got) => JSON.stringify(got) === JSON.stringify(expected),
      90_000,
    );
    await streams.close();

    // The state deleted: the results, subscriptions and foreign keys rebuilt from their changelogs.
    await rm(stateDir, { recursive: true, force: true });
    const second = testStreams(joinTopology(devices, owners), { applicationId, stateDir });
    context.running.push(second);
    await second.start();
    await second.waitForState('RUNNING');
    expect(await answers(second)).toEqual(expected);
    expect(await restoredRecords(second)).toBeGreaterThan(0);
    // Subscriptions restored too: a rename reaches the devices that follow the owner now, and only them.
    const producer2 = context.kafka.producer();
    await producer2.connect();
    await producer2.send({ topic: owners, messages: [{ key: 'o1', value: 'renamed' }] });
    await producer2.disconnect();
    const followers = [...deviceState].filter(([, d]) => d?.owner === 'o1').map(([id]) => id);
    expect(followers.length).toBeGreaterThan(0);
    const renamed = Object.fromEntries(
      Object.entries(expected).map(([id, v]) => [
        id,
        followers.includes(id) ? `${deviceState.get(id)?.model}@renamed` : v,
      ]),
    );
    await eventually(
      () => answers(second),
      (got) => JSON.stringify(got) === JSON.stringify(renamed),
      60_000,
    );
    await second.close();
  });
});
