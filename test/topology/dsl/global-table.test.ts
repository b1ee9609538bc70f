import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, TopologyTestDriver } from '../../../src/topology/index.js';

interface Probe {
  readonly mac: string;
  readonly ssid: string;
}

function alertTopology() {
  const builder = new StreamsBuilder();
  const watched = builder.globalTable<string, { reason: string }>('watch', { materialized: 'watched' });
  const probes = builder.stream<string, Probe>('probes');
  probes
    .join(
      watched,
      (_mac, probe) => probe.ssid,
      (probe, watch) => ({ mac: probe.mac, ssid: probe.ssid, reason: watch.reason }),
    )
    .to('alerts');
  probes
    .leftJoin(
      watched,
      (_mac, probe) => probe.ssid,
      (probe, watch) => `${probe.ssid}:${watch?.reason ?? '-'}`,
      { valueSerde: Serdes.String() },
    )
    .to('all', { valueSerde: Serdes.String() });
  return builder.build();
}

describe('GlobalKTable', () => {
  it('joins a stream on a key derived from each record, with no repartition', async () => {
    const topology = alertTopology();
    // One sub-topology: the stream is not repartitioned by SSID to meet the table.
    expect(topology.subtopologies()).toHaveLength(1);
    expect(topology.describe()).toContain('Global store: watched (topic: watch;');
    const driver = new TopologyTestDriver(topology);
    const watch = driver.createInputTopic<string, { reason: string }>('watch');
    const probes = driver.createInputTopic<string, Probe>('probes');
    const alerts = driver.createOutputTopic<string, unknown>('alerts');
    const all = driver.createOutputTopic('all', Serdes.String(), Serdes.String());

    await probes.pipeInput('aa', { mac: 'aa', ssid: 'home' });
    await watch.pipeInput('home', { reason: 'my network' });
    await probes.pipeInput('bb', { mac: 'bb', ssid: 'home' });
    await probes.pipeInput('cc', { mac: 'cc', ssid: 'cafe' });
    await watch.pipeInput('home', null);
    await probes.pipeInput('dd', { mac: 'dd', ssid: 'home' });

    expect(alerts.readKeyValuesToList()).toEqual([['bb', { mac: 'bb', ssid: 'home', reason: 'my network' }]]);
    expect(all.readKeyValuesToList()).toEqual([
      ['aa', 'home:-'],
      ['bb', 'home:my network'],
      ['cc', 'cafe:-'],
      ['dd', 'home:-'],
    ]);
  });

  it('refuses a topic that a stream already reads', () => {
    const builder = new StreamsBuilder();
    builder.stream('watch');
    expect(() => builder.globalTable('watch')).toThrow('topic watch is already read by source');
  });
});
