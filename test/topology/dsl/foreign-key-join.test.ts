import { describe, expect, it } from 'vitest';
import { responseProcessor, valueHash } from '../../../src/topology/dsl/foreign-key-processors.js';
import { Serdes, type StreamRecord, StreamsBuilder } from '../../../src/topology/index.js';
import { useTopologyTestDrivers } from '../../support/test-drivers.js';

const drive = useTopologyTestDrivers();

interface Device {
  readonly model: string;
  readonly owner?: string;
}

/** Devices (keyed by MAC) joined with their owner's name (owners keyed by owner id). */
function devicesWithOwners(kind: 'join' | 'leftJoin') {
  const builder = new StreamsBuilder();
  const devices = builder.table<string, Device>('devices');
  const owners = builder.table<string, string>('owners', { valueSerde: Serdes.String() });
  const joined =
    kind === 'join'
      ? devices.join(
          owners,
          (d) => d.owner,
          (d, name) => `${d.model}@${name}`,
          { storeName: 'device-owners', valueSerde: Serdes.String() },
        )
      : devices.leftJoin(
          owners,
          (d) => d.owner,
          (d, name) => `${d.model}@${name ?? '-'}`,
          { storeName: 'device-owners', valueSerde: Serdes.String() },
        );
  joined.toStream().to('out', { valueSerde: Serdes.String() });
  const driver = drive(builder.build());
  return {
    driver,
    devices: driver.createInputTopic<string, Device>('devices', Serdes.String(), Serdes.Json()),
    owners: driver.createInputTopic<string, string>('owners', Serdes.String(), Serdes.String()),
    out: driver.createOutputTopic<string, string | null>('out', Serdes.String(), Serdes.String()),
  };
}

async function script(sides: ReturnType<typeof devicesWithOwners>) {
  const { devices, owners, out } = sides;
  const steps: [string, unknown][] = [];
  const step = async (label: string, act: () => Promise<void>) => {
    await act();
    steps.push([label, out.readKeyValuesToList()]);
  };
  await step('owner o1 named', () => owners.pipeInput('o1', 'Ann'));
  await step('d1 owned by o1', () => devices.pipeInput('d1', { model: 'pixel', owner: 'o1' }));
  await step('d2 owned by o2, unnamed', () => devices.pipeInput('d2', { model: 'iphone', owner: 'o2' }));
  await step('o2 named', () => owners.pipeInput('o2', 'Bob'));
  await step('d1 moves to o2', () => devices.pipeInput('d1', { model: 'pixel', owner: 'o2' }));
  await step('d1 changes, same owner', () => devices.pipeInput('d1', { model: 'pixel 2', owner: 'o2' }));
  await step('o1 renamed: d1 no longer follows it', () => owners.pipeInput('o1', 'Ann B'));
  await step('d3 has no owner', () => devices.pipeInput('d3', { model: 'watch' }));
  await step('o2 deleted', () => owners.pipeInput('o2', null));
  await step('d2 deleted', () => devices.pipeInput('d2', null));
  return steps;
}

describe('foreign-key table-table join', () => {
  it('inner: a row while the foreign key has a right row, following changes on either side', async () => {
    const sides = devicesWithOwners('join');
    expect(await script(sides)).toEqual([
      ['owner o1 named', []],
      ['d1 owned by o1', [['d1', 'pixel@Ann']]],
      ['d2 owned by o2, unnamed', [['d2', null]]],
      ['o2 named', [['d2', 'iphone@Bob']]],
      ['d1 moves to o2', [['d1', 'pixel@Bob']]],
      ['d1 changes, same owner', [['d1', 'pixel 2@Bob']]],
      ['o1 renamed: d1 no longer follows it', []],
      ['d3 has no owner', [['d3', null]]],
      [
        'o2 deleted',
        [
          ['d2', null],
          ['d1', null],
        ],
      ],
      ['d2 deleted', [['d2', null]]],
    ]);
    const store = sides.driver.getKeyValueStore<string, string>('device-owners');
    expect(store.get('d1')).toBeUndefined();
    expect(store.approximateNumEntries()).toBe(0);
  });

  it('left: a row for every left row, the right side missing when the foreign key has none', async () => {
    const sides = devicesWithOwners('leftJoin');
    expect(await script(sides)).toEqual([
      ['owner o1 named', []],
      ['d1 owned by o1', [['d1', 'pixel@Ann']]],
      ['d2 owned by o2, unnamed', [['d2', 'iphone@-']]],
      ['o2 named', [['d2', 'iphone@Bob']]],
      ['d1 moves to o2', [['d1', 'pixel@Bob']]],
      ['d1 changes, same owner', [['d1', 'pixel 2@Bob']]],
      ['o1 renamed: d1 no longer follows it', []],
      ['d3 has no owner', [['d3', 'watch@-']]],
      [
        'o2 deleted',
        [
          ['d2', 'iphone@-'],
          ['d1', 'pixel 2@-'],
        ],
      ],
      ['d2 deleted', [['d2', null]]],
    ]);
    const store = sides.driver.getKeyValueStore<string, string>('device-owners');
    expect(store.get('d1')).toBe('pixel 2@-');
    expect(store.get('d3')).toBe('watch@-');
    expect(store.get('d2')).toBeUndefined();
  });

  it('drops an answer meant for a value the left row no longer has', () => {
    const current: Device = { model: 'pixel', owner: 'o2' };
    const forwarded: StreamRecord<string, unknown>[] = [];
    const processor = responseProcessor<string, Device, string, string>(
      { keySerde: Serdes.String(), valueSerde: Serdes.Json(), unmatched: () => undefined },
      { storeNames: [], get: () => (key) => (key === 'd1' ? current : undefined) },
      Serdes.String(),
      (d, name) => `${d.model}@${name}`,
    )();
    processor.init?.({ forward: (r: StreamRecord<string, unknown>) => forwarded.push(r) } as never);
    const answer = (device: Device, owner: string) => ({
      key: Buffer.from('d1'),
      value: { hash: valueHash(Serdes.Json<Device>().serialize(device)), rightValue: Buffer.from(owner) },
      timestamp: 1,
      headers: {},
    });
    processor.process(answer({ model: 'pixel', owner: 'o1' }, 'Ann')); // the answer for its old owner
    processor.process(answer(current, 'Bob'));
    expect(forwarded.map((r) => [r.key, r.value])).toEqual([['d1', 'pixel@Bob']]);
  });
});

describe('a named foreign-key join', () => {
  it('names its internal topics and stores after the name, whatever comes before it', () => {
    const describeWith = (extraFilter: boolean) => {
      const builder = new StreamsBuilder();
      let devices = builder.table<string, Device>('devices');
      if (extraFilter) devices = devices.filter(() => true);
      const owners = builder.table<string, string>('owners', { valueSerde: Serdes.String() });
      devices.join(
        owners,
        (d) => d.owner,
        (d, name) => `${d.model}@${name}`,
        { name: 'device-owner', storeName: 'device-owners', valueSerde: Serdes.String() },
      );
      return builder.build().describe();
    };
    for (const described of [describeWith(false), describeWith(true)]) {
      expect(described).toContain('device-owner-subscription-registration-repartition');
      expect(described).toContain('device-owner-subscription-response-repartition');
      expect(described).toContain('device-owner-subscriptions');
      expect(described).not.toContain('KTABLE-FK-JOIN');
    }
  });
});
