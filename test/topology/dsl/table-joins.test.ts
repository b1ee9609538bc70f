import { afterEach, describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, type Topology, TopologyTestDriver } from '../../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
function drive(topology: Topology): TopologyTestDriver {
  const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
  drivers.push(driver);
  return driver;
}
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

describe('table-table joins', () => {
  function joined(kind: 'join' | 'leftJoin' | 'outerJoin') {
    const builder = new StreamsBuilder();
    const left = builder.table<string, string>('left', { valueSerde: Serdes.String() });
    const right = builder.table<string, string>('right', { valueSerde: Serdes.String() });
    const table =
      kind === 'join'
        ? left.join(right, (l, r) => `${l}+${r}`)
        : kind === 'leftJoin'
          ? left.leftJoin(right, (l, r) => `${l}+${r ?? '-'}`)
          : left.outerJoin(right, (l, r) => `${l ?? '-'}+${r ?? '-'}`);
    table.toStream().to('out');
    const driver = drive(builder.build());
    const l = driver.createInputTopic<string, string>('left', Serdes.String(), Serdes.String());
    const r = driver.createInputTopic<string, string>('right', Serdes.String(), Serdes.String());
    const out = driver.createOutputTopic<string, string | null>('out');
    return { l, r, out };
  }

  async function script({ l, r }: ReturnType<typeof joined>) {
    await l.pipeInput('a', 'L1');
    await r.pipeInput('a', 'R1');
    await r.pipeInput('b', 'R2');
    await l.pipeInput('a', 'L3');
    await r.pipeInput('a', null);
    await l.pipeInput('a', null);
  }

  it('inner: a row while both sides have the key, a delete when one side goes', async () => {
    const sides = joined('join');
    await script(sides);
    expect(sides.out.readKeyValuesToList()).toEqual([
      ['a', null],
      ['a', 'L1+R1'],
      ['b', null],
      ['a', 'L3+R1'],
      ['a', null],
      ['a', null],
    ]);
  });

  it('left: a row while the left side has the key', async () => {
    const sides = joined('leftJoin');
    await script(sides);
    expect(sides.out.readKeyValuesToList()).toEqual([
      ['a', 'L1+-'],
      ['a', 'L1+R1'],
      ['b', null],
      ['a', 'L3+R1'],
      ['a', 'L3+-'],
      ['a', null],
    ]);
  });

  it('outer: a row while either side has the key', async () => {
    const sides = joined('outerJoin');
    await script(sides);
    expect(sides.out.readKeyValuesToMap()).toEqual(new Map([['b', '-+R2']]));
  });
});

describe('KTable.groupBy with adder and subtractor', () => {
  interface Person {
    readonly city: string;
    readonly age: number;
  }

  function byCity() {
    const builder = new StreamsBuilder();
    const grouped = builder
      .table<string, Person>('people')
      .groupBy((_name, person) => [person.city, person.age], { valueSerde: Serdes.Long(), name: 'by-city' });
    grouped.aggregate(
      () => 0,
      (_city, age, total) => total + age,
      (_city, age, total) => total - age,
      { storeName: 'age-totals', valueSerde: Serdes.Long() },
    );
    grouped.count('residents');
    grouped.reduce(
      (a, b) => Math.max(a, b),
      (a, b) => (a === b ? null : a),
      { storeName: 'oldest', valueSerde: Serdes.Long() },
    );
    const driver = drive(builder.build());
    return { driver, people: driver.createInputTopic<string, Person>('people') };
  }

  it('moves a row to its new group when it changes, and takes it away when it is deleted', async () => {
    const { driver, people } = byCity();
    const totals = driver.getKeyValueStore<string, number>('age-totals');
    const residents = driver.getKeyValueStore<string, number>('residents');
    await people.pipeInput('ann', { city: 'Leeds', age: 30 });
    await people.pipeInput('bob', { city: 'Leeds', age: 40 });
    await people.pipeInput('cat', { city: 'York', age: 20 });
    expect([totals.get('Leeds'), totals.get('York')]).toEqual([70, 20]);
    await people.pipeInput('bob', { city: 'York', age: 41 }); // moved and older
    expect([totals.get('Leeds'), totals.get('York')]).toEqual([30, 61]);
    expect([residents.get('Leeds'), residents.get('York')]).toEqual([1, 2]);
    await people.pipeInput('ann', null);
    expect([totals.get('Leeds'), residents.get('Leeds')]).toEqual([0, 0]);
    expect(driver.getKeyValueStore<string, number>('oldest').get('York')).toBe(41);
    expect(driver.getKeyValueStore<string, number>('oldest').get('Leeds')).toBeUndefined();
  });

  it('passes over the delete of a row it never had, writing and sending nothing', async () => {
    const { driver, people } = byCity();
    const prior = driver.createOutputTopic<string, unknown>('app-by-city-prior-changelog');
    await people.pipeInput('dan', null);
    expect(prior.readKeyValuesToList()).toEqual([]);
    await people.pipeInput('dan', { city: 'Leeds', age: 50 });
    await people.pipeInput('dan', null);
    expect(prior.readKeyValuesToList().map(([key, value]) => [key, value === null])).toEqual([
      ['dan', false],
      ['dan', true],
    ]);
    expect(driver.getKeyValueStore<string, number>('residents').get('Leeds')).toBe(0);
  });

  it('describes the regrouping as a repartition into a second sub-topology', () => {
    const builder = new StreamsBuilder();
    builder
      .table<string, Person>('people')
      .groupBy((_n, p) => [p.city, p.age], { name: 'by-city' })
      .count('c');
    const description = builder.build().describe();
    expect(description).toContain('(topic: by-city-repartition)');
    expect(description).toContain('Sub-topology: 1');
  });
});
