import { describe, expect, it } from 'vitest';
import { Serdes, type StoreLag, StreamsBuilder } from '../../../../src/topology/index.js';
import {
  MirrorWriter,
  mirrorStoreNames,
  StoreMirror,
} from '../../../../src/topology/runtime/worker/mirror.js';
import { mirrorActiveEntries } from '../../../../src/topology/runtime/worker/mirror-entries.js';

const builder = new StreamsBuilder();
builder.table('counts', { valueSerde: Serdes.Json(), materialized: 'counts-store' });
const topology = builder.build();
const STORE = 'counts-store';
const sub = (topology.subtopologies().find((s) => s.stores.some((st) => st.name === STORE)) as { id: number })
  .id;
const active = (partition: number, restoring = false): StoreLag => ({
  store: STORE,
  partition,
  role: 'active',
  restoring,
  lag: 0,
});

/** A mirror holding partitions 0 (complete), 1 (complete) and 2 (still being sent) of the store. */
function mirror(): StoreMirror {
  const names = mirrorStoreNames(topology);
  const index = names.indexOf(STORE);
  const mirrored = new StoreMirror(names);
  const writer = new MirrorWriter();
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  for (const partition of [0, 1, 2]) {
    writer.begin(index, partition);
    writer.snapshot(index, partition, Buffer.from(`k${partition}`), json({ n: partition }));
    if (partition < 2) writer.end(index, partition);
  }
  writer.write(index, 1, Buffer.from('é1'), json({ n: 11 }));
  mirrored.apply(writer.take() as ArrayBuffer);
  return mirrored;
}

describe("a store's active copies read from the mirror", () => {
  const counts = new Map([[sub, 4]]);

  it('hands over every entry of the active partitions, deserialized, with the partitions they are', () => {
    const found = mirrorActiveEntries<string, unknown>(
      mirror(),
      topology,
      STORE,
      [active(0), active(1)],
      counts,
    );
    expect(found?.partitions).toEqual([0, 1]);
    expect(found?.partitionCount).toBe(4);
    const entries = [...(found?.entries ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(entries).toEqual([
      { key: 'k0', value: { n: 0 } },
      { key: 'k1', value: { n: 1 } },
      { key: 'é1', value: { n: 11 } },
    ]);
  });

  it('answers nothing when an active partition is restoring or its copy is not complete here', () => {
    expect(
      mirrorActiveEntries<string, unknown>(mirror(), topology, STORE, [active(0), active(2)], counts),
    ).toBeUndefined();
    expect(
      mirrorActiveEntries<string, unknown>(mirror(), topology, STORE, [active(0, true)], counts),
    ).toBeUndefined();
    expect(
      mirrorActiveEntries<string, unknown>(mirror(), topology, STORE, [active(3)], counts),
    ).toBeUndefined();
    expect(
      mirrorActiveEntries<string, unknown>(mirror(), topology, STORE, [active(0)], new Map()),
    ).toBeUndefined();
  });

  it('leaves standby copies out', () => {
    const standby: StoreLag = { ...active(1), role: 'standby' };
    const found = mirrorActiveEntries<string, unknown>(
      mirror(),
      topology,
      STORE,
      [active(0), standby],
      counts,
    );
    expect(found?.partitions).toEqual([0]);
    expect([...(found?.entries ?? [])].map((entry) => entry.key)).toEqual(['k0']);
  });
});
