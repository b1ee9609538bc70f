import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder } from '../../../src/topology/index.js';
import { partitionForKey } from '../../../src/topology/runtime/murmur2.js';
import { keyQueryMetadata, type StreamsMetadata } from '../../../src/topology/runtime/streams-metadata.js';

const topology = (() => {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>('in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .groupByKey()
    .count('counts');
  return builder.build();
})();

const KEY = 'a4:83:e7:4e:39:15';
const PARTITION = partitionForKey(Buffer.from(KEY), 4);
const TASK = `0_${PARTITION}`;

function client(host: string, activeTasks: string[], standbyTasks: string[] = []): StreamsMetadata {
  return {
    memberId: host,
    hostInfo: host,
    activeTasks,
    standbyTasks,
    stateStoreNames: ['counts'],
    topicPartitions: [],
  };
}

const clients = [client('a:1', [TASK]), client('b:1', [], [TASK]), client('c:1', ['0_99'])];

describe('keyQueryMetadata', () => {
  it("names the owner of the key's task and its standby hosts", () => {
    expect(keyQueryMetadata(topology, () => 4, clients, 'counts', KEY)).toEqual({
      activeHost: 'a:1',
      standbyHosts: ['b:1'],
      partition: PARTITION,
    });
  });

  it('while the group rebalances, names no owner but offers the former owner, then the standbys', () => {
    expect(keyQueryMetadata(topology, () => 4, clients, 'counts', KEY, true)).toEqual({
      activeHost: null,
      standbyHosts: ['a:1', 'b:1'],
      partition: PARTITION,
    });
  });

  it('before any assignment, names nobody', () => {
    expect(keyQueryMetadata(topology, () => 4, [], 'counts', KEY, true)).toEqual({
      activeHost: null,
      standbyHosts: [],
      partition: PARTITION,
    });
  });
});
