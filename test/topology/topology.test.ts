import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/stores/index.js';
import {
  type Processor,
  type ProcessorContext,
  Serdes,
  Stores,
  StreamsError,
  Topology,
  TopologyTestDriver,
} from '../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

/** Counts records per key in store `s` and forwards `key → count`. */
function countingProcessor(): Processor<string, unknown, string, number> {
  let context: ProcessorContext<string, number>;
  let store: KeyValueStore<string, number>;
  return {
    init(ctx) {
      context = ctx;
      store = ctx.getStateStore<KeyValueStore<string, number>>('s');
    },
    process(record) {
      const count = (store.get(record.key) ?? 0) + 1;
      store.put(record.key, count);
      context.forward({ ...record, value: count });
    },
  };
}

function countingTopology(): Topology {
  return new Topology()
    .addSource('src', 'in')
    .addProcessor('p', countingProcessor, 'src')
    .addStateStore(
      Stores.keyValueStore({ name: 's', keySerde: Serdes.String(), valueSerde: Serdes.Long() }),
      'p',
    )
    .addSink('sink', 'out', {}, 'p');
}

describe('Topology, the processor API', () => {
  it('runs a hand-built processor with a store in the test driver', async () => {
    const driver = new TopologyTestDriver(countingTopology(), { applicationId: 'app' });
    drivers.push(driver);
    await driver.createInputTopic('in').pipeKeyValueList([
      ['a', 'x'],
      ['b', 'y'],
      ['a', 'z'],
    ]);
    expect(driver.createOutputTopic('out').readKeyValuesToList()).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
    ]);
    expect(driver.getKeyValueStore<string, number>('s').get('a')).toBe(2);
    expect(
      driver.createOutputTopic('app-s-changelog', Serdes.String(), Serdes.Long()).readKeyValuesToMap(),
    ).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
  });

  it('gives a processor its task, application id and the metadata of the record being processed', async () => {
    const seen: unknown[] = [];
    const topology = new Topology().addSource('src', 'in').addProcessor(
      'p',
      (): Processor => {
        let context: ProcessorContext;
        return {
          init(ctx) {
            context = ctx;
            seen.push([ctx.applicationId, ctx.taskId, ctx.recordMetadata()]);
          },
          process() {
            seen.push(context.recordMetadata());
          },
        };
      },
      'src',
    );
    const driver = new TopologyTestDriver(topology, { applicationId: 'app' });
    drivers.push(driver);
    const input = driver.createInputTopic('in');
    await input.pipeInput('a', 1);
    await input.pipeInput('b', 2);
    expect(seen).toEqual([
      ['app', { subtopology: 0, partition: 0 }, undefined],
      { topic: 'in', partition: 0, offset: '0' },
      { topic: 'in', partition: 0, offset: '1' },
    ]);
  });

  it('forwards to one named child only, when forward names it', async () => {
    const topology = new Topology()
      .addSource('src', 'in')
      .addProcessor(
        'router',
        (): Processor<string, number, string, number> => {
          let context: ProcessorContext<string, number>;
          return {
            init: (ctx) => {
              context = ctx;
            },
            process: (record) => context.forward(record, record.value % 2 === 0 ? 'even-sink' : 'odd-sink'),
          };
        },
        'src',
      )
      .addSink('even-sink', 'even', {}, 'router')
      .addSink('odd-sink', 'odd', {}, 'router');
    const driver = new TopologyTestDriver(topology);
    drivers.push(driver);
    await driver.createInputTopic<string, number>('in').pipeKeyValueList([
      ['a', 1],
      ['b', 2],
    ]);
    expect(driver.createOutputTopic('even').readKeyValuesToList()).toEqual([['b', 2]]);
    expect(driver.createOutputTopic('odd').readKeyValuesToList()).toEqual([['a', 1]]);
  });

  it('calls close on every processor when the driver closes', async () => {
    let closed = 0;
    const topology = new Topology()
      .addSource('src', 'in')
      .addProcessor('p', () => ({ process() {}, close: () => void closed++ }), 'src');
    const driver = new TopologyTestDriver(topology);
    await driver.close();
    await driver.close();
    expect(closed).toBe(1);
  });

  it('refuses a store the processor is not connected to with STORE_NOT_CONNECTED', () => {
    const asksFor = (name: string) => () => ({
      init(ctx: ProcessorContext) {
        ctx.getStateStore(name);
      },
      process() {},
    });
    const topology = new Topology()
      .addSource('src', 'in')
      .addProcessor('owner', () => ({ process() {} }), 'src')
      .addStateStore(
        Stores.keyValueStore({ name: 's', keySerde: Serdes.String(), valueSerde: Serdes.Long() }),
        'owner',
      )
      .addProcessor('other', asksFor('s'), 'owner');
    expect(() => new TopologyTestDriver(topology)).toThrow(StreamsError);
    expect(() => new TopologyTestDriver(topology)).toThrow(
      expect.objectContaining({
        code: 'STORE_NOT_CONNECTED',
        message: 'processor other is not connected to a store named s',
      }),
    );
    const unknown = new Topology().addSource('src', 'in').addProcessor('p', asksFor('nope'), 'src');
    expect(() => new TopologyTestDriver(unknown)).toThrow(
      expect.objectContaining({ code: 'STORE_NOT_CONNECTED' }),
    );
  });

  it('stops with STORE_NOT_CONNECTED, even with the dlq handler, when process() asks for a foreign store', async () => {
    const topology = new Topology().addSource('src', 'in').addProcessor(
      'p',
      (): Processor => {
        let context: ProcessorContext;
        return {
          init: (ctx) => {
            context = ctx;
          },
          process: () => void context.getStateStore('nope'),
        };
      },
      'src',
    );
    // A wiring mistake is not a bad record: sending every record to the DLQ would hide it.
    const driver = new TopologyTestDriver(topology, { processingExceptionHandler: 'dlq' });
    drivers.push(driver);
    await expect(driver.createInputTopic('in').pipeInput('a', 1)).rejects.toMatchObject({
      code: 'STORE_NOT_CONNECTED',
      message: 'processor p is not connected to a store named nope',
    });
  });

  it('throws TypeError for a processor whose parent does not exist', () => {
    expect(() =>
      new Topology().addSource('src', 'in').addProcessor('p', () => ({ process() {} }), 'nope'),
    ).toThrow(TypeError);
    expect(() => new Topology().addSource('src', 'in').addProcessor('p', () => ({ process() {} }))).toThrow(
      TypeError,
    );
  });

  it('throws TypeError for a second source on the same topic', () => {
    const topology = new Topology().addSource('one', 'in');
    expect(() => topology.addSource('two', 'in')).toThrow(TypeError);
    expect(() => topology.addSource('two', ['other', 'in'])).toThrow(/already read by source one/);
  });

  it.each([
    ['a duplicate node name', (t: Topology) => t.addSource('src', 'elsewhere')],
    ['an invalid topic name', (t: Topology) => t.addSource('bad', 'has space')],
    [
      'a sink as a parent',
      (t: Topology) => t.addSink('s1', 'out', {}, 'src').addSink('s2', 'out2', {}, 's1'),
    ],
    ['a store added twice', (t: Topology) => t.addStateStore(storeS()).addStateStore(storeS())],
    [
      'a store connected to a node that is not a processor',
      (t: Topology) => t.addStateStore(storeS(), 'src'),
    ],
  ])('throws TypeError for %s', (_, change) => {
    expect(() => change(new Topology().addSource('src', 'in'))).toThrow(TypeError);
  });

  it('can no longer change once a driver runs it', () => {
    const topology = countingTopology();
    drivers.push(new TopologyTestDriver(topology));
    expect(() => topology.addSink('late', 'late', {}, 'p')).toThrow(TypeError);
  });

  it('describes its sources, processors with their stores, and sinks', () => {
    expect(countingTopology().describe()).toBe(
      [
        'Topologies:',
        '   Sub-topology: 0',
        '    Source: src (topics: [in])',
        '      --> p',
        '    Processor: p (stores: [s])',
        '      --> sink',
        '      <-- src',
        '    Sink: sink (topic: out)',
        '      <-- p',
        '',
      ].join('\n'),
    );
  });

  it('puts two processors that share a store into one sub-topology', () => {
    const topology = new Topology()
      .addSource('a-src', 'a')
      .addSource('b-src', 'b')
      .addProcessor('a-p', () => ({ process() {} }), 'a-src')
      .addProcessor('b-p', () => ({ process() {} }), 'b-src')
      .addStateStore(storeS(), 'a-p', 'b-p');
    expect(topology.subtopologies()).toHaveLength(1);
    expect(topology.describe()).toContain('Source: b-src (topics: [b])');
    expect(new Topology().addSource('a-src', 'a').addSource('b-src', 'b').subtopologies()).toHaveLength(2);
  });
});

function storeS() {
  return Stores.keyValueStore({ name: 's', keySerde: Serdes.String(), valueSerde: Serdes.Long() });
}
