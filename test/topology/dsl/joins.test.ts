import { afterEach, describe, expect, it } from 'vitest';
import {
  type KTable,
  StreamsBuilder,
  type TestInputTopic,
  type TestOutputTopic,
  TopologyTestDriver,
} from '../../../src/topology/index.js';

interface User {
  readonly name: string;
  readonly tier: 'free' | 'paid';
}

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

interface Joined {
  readonly clicks: TestInputTopic<string, string>;
  readonly users: TestInputTopic<string, User>;
  readonly output: TestOutputTopic<string, unknown>;
  readonly driver: TopologyTestDriver;
}

/** Clicks keyed by user id, joined with the users table (after `shape`), written to `out`. */
function joined(
  kind: 'join' | 'leftJoin',
  shape: (users: KTable<string, User>) => KTable<string, unknown> = (users) => users,
): Joined {
  const builder = new StreamsBuilder();
  const users = shape(builder.table<string, User>('users', { materialized: 'users-store' }));
  const clicks = builder.stream<string, string>('clicks');
  const joiner = (page: string, user: unknown) => ({ page, user: user ?? null });
  (kind === 'join' ? clicks.join(users, joiner) : clicks.leftJoin(users, joiner)).to('out');
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
  drivers.push(driver);
  return {
    driver,
    clicks: driver.createInputTopic<string, string>('clicks'),
    users: driver.createInputTopic<string, User>('users'),
    output: driver.createOutputTopic('out'),
  };
}

const ann: User = { name: 'Ann', tier: 'paid' };
const bob: User = { name: 'Bob', tier: 'free' };

describe('stream-table joins in the test driver', () => {
  it('an inner join produces nothing for a key absent from the table', async () => {
    const { clicks, users, output } = joined('join');
    await users.pipeInput('u1', ann);
    await clicks.pipeInput('u2', '/home');
    await clicks.pipeInput('u1', '/cart');
    expect(output.readKeyValuesToList()).toEqual([['u1', { page: '/cart', user: ann }]]);
  });

  it('joins each record with the table as it stands when the record arrives', async () => {
    const { clicks, users, output } = joined('join');
    await users.pipeInput('u1', ann);
    await clicks.pipeInput('u1', '/a');
    await users.pipeInput('u1', { ...ann, tier: 'free' });
    await clicks.pipeInput('u1', '/b');
    expect(output.readKeyValuesToList()).toEqual([
      ['u1', { page: '/a', user: ann }],
      ['u1', { page: '/b', user: { name: 'Ann', tier: 'free' } }],
    ]);
  });

  it('a table update alone produces no join output', async () => {
    const { users, output } = joined('join');
    await users.pipeInput('u1', ann);
    expect(output.isEmpty()).toBe(true);
  });

  it('a table tombstone removes the key from the join and from the table store', async () => {
    const { driver, clicks, users, output } = joined('join');
    await users.pipeInput('u1', ann);
    await users.pipeInput('u1', null);
    await clicks.pipeInput('u1', '/a');
    expect(output.isEmpty()).toBe(true);
    expect(driver.getKeyValueStore('users-store').get('u1')).toBeUndefined();
  });

  it('a left join calls the joiner with undefined for an absent key', async () => {
    const seen: unknown[] = [];
    const builder = new StreamsBuilder();
    const table = builder.table<string, User>('users');
    builder
      .stream<string, string>('clicks')
      .leftJoin(table, (page, user) => {
        seen.push(user);
        return { page, name: user?.name ?? 'anonymous' };
      })
      .to('out');
    const driver = new TopologyTestDriver(builder.build());
    drivers.push(driver);
    await driver.createInputTopic<string, User>('users').pipeInput('u1', ann);
    const clicks = driver.createInputTopic<string, string>('clicks');
    await clicks.pipeInput('u1', '/a');
    await clicks.pipeInput('u2', '/b');
    expect(seen).toEqual([ann, undefined]);
    expect(driver.createOutputTopic('out').readKeyValuesToList()).toEqual([
      ['u1', { page: '/a', name: 'Ann' }],
      ['u2', { page: '/b', name: 'anonymous' }],
    ]);
  });

  it('skips stream records with a null key or value in a left join', async () => {
    const { clicks, output } = joined('leftJoin');
    await clicks.pipeInput(null, '/a');
    await clicks.pipeInput('u1', null);
    await clicks.pipeInput('u1', '/b');
    expect(output.readKeyValuesToList()).toEqual([['u1', { page: '/b', user: null }]]);
  });

  it('joins against a filtered table: entries the filter rejects count as absent', async () => {
    const { clicks, users, output } = joined('join', (t) => t.filter((_id, user) => user.tier === 'paid'));
    await users.pipeInput('u1', ann);
    await users.pipeInput('u2', bob);
    await clicks.pipeInput('u1', '/a');
    await clicks.pipeInput('u2', '/b');
    await users.pipeInput('u1', { ...ann, tier: 'free' });
    await clicks.pipeInput('u1', '/c');
    expect(output.readKeyValuesToList()).toEqual([['u1', { page: '/a', user: ann }]]);
  });

  it('a left join against a filterNot table sees undefined where the filter rejects', async () => {
    const { clicks, users, output } = joined('leftJoin', (t) =>
      t.filterNot((_id, user) => user.tier === 'paid'),
    );
    await users.pipeInput('u1', ann);
    await users.pipeInput('u2', bob);
    await clicks.pipeInput('u1', '/a');
    await clicks.pipeInput('u2', '/b');
    expect(output.readKeyValuesToList()).toEqual([
      ['u1', { page: '/a', user: null }],
      ['u2', { page: '/b', user: bob }],
    ]);
  });

  it('joins against a mapValues table: the join sees the mapped value', async () => {
    const { clicks, users, output } = joined('join', (t) => t.mapValues((user, id) => `${id}:${user.name}`));
    await users.pipeInput('u1', ann);
    await clicks.pipeInput('u1', '/a');
    await clicks.pipeInput('u9', '/b');
    expect(output.readKeyValuesToList()).toEqual([['u1', { page: '/a', user: 'u1:Ann' }]]);
  });

  it('joins a stream re-keyed by selectKey through a repartition topic', async () => {
    const builder = new StreamsBuilder();
    const users = builder.table<string, User>('users');
    builder
      .stream<string, { user: string }>('orders')
      .selectKey((_order, v) => v.user)
      .join(users, (order, user) => ({ ...order, name: user.name }))
      .to('out');
    const topology = builder.build();
    expect(topology.describe()).toContain('Sub-topology: 1');
    const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
    drivers.push(driver);
    await driver.createInputTopic<string, User>('users').pipeInput('u1', ann);
    await driver.createInputTopic<string, { user: string }>('orders').pipeInput('o1', { user: 'u1' });
    expect(driver.createOutputTopic('out').readKeyValuesToList()).toEqual([
      ['u1', { user: 'u1', name: 'Ann' }],
    ]);
  });
});

describe('KTable updates as a stream', () => {
  function table(shape: (users: KTable<string, User>) => KTable<string, unknown> = (users) => users) {
    const builder = new StreamsBuilder();
    shape(builder.table<string, User>('users')).toStream().to('changes');
    const driver = new TopologyTestDriver(builder.build());
    drivers.push(driver);
    return {
      users: driver.createInputTopic<string, User>('users'),
      changes: driver.createOutputTopic('changes'),
    };
  }

  it('toStream emits every update, and a delete as a null value', async () => {
    const { users, changes } = table();
    await users.pipeInput('u1', ann, 10);
    await users.pipeInput('u1', null, 11);
    expect(changes.readRecordsToList()).toEqual([
      { key: 'u1', value: ann, timestamp: 10, headers: {} },
      { key: 'u1', value: null, timestamp: 11, headers: {} },
    ]);
  });

  it('skips a table record with a null key', async () => {
    const { users, changes } = table();
    await users.pipeInput(null, ann);
    expect(changes.isEmpty()).toBe(true);
  });

  it('filter turns an update that does not match into a null value', async () => {
    const { users, changes } = table((t) => t.filter((_id, user) => user.tier === 'paid'));
    await users.pipeInput('u1', ann);
    await users.pipeInput('u2', bob);
    await users.pipeInput('u1', { ...ann, tier: 'free' });
    await users.pipeInput('u1', null);
    expect(changes.readKeyValuesToList()).toEqual([
      ['u1', ann],
      ['u2', null],
      ['u1', null],
      ['u1', null],
    ]);
  });

  it('mapValues maps updates and keeps deletes as null values', async () => {
    const { users, changes } = table((t) => t.mapValues((user) => user.name.toUpperCase()));
    await users.pipeInput('u1', ann);
    await users.pipeInput('u1', null);
    expect(changes.readKeyValuesToList()).toEqual([
      ['u1', 'ANN'],
      ['u1', null],
    ]);
  });
});
