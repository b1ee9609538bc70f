import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { RepartitionPurger } from '../../../src/topology/runtime/repartition-purger.js';

function fakeAdmin() {
  const calls: { topic: string; partitions: { partition: number; offset: string }[] }[] = [];
  const admin = {
    deleteTopicRecords: async (request: (typeof calls)[number]) => {
      calls.push(request);
    },
  } as unknown as Admin;
  return { admin, calls };
}

const isRepartition = (topic: string) => topic.endsWith('-repartition');

describe('RepartitionPurger', () => {
  it('deletes committed records of repartition topics only, up to the highest committed offset', async () => {
    const { admin, calls } = fakeAdmin();
    const purger = new RepartitionPurger(() => admin, isRepartition, 0);
    purger.committed([
      { topic: 'app-by-mac-repartition', partition: 0, offset: '10' },
      { topic: 'app-by-mac-repartition', partition: 1, offset: '7' },
      { topic: 'pcap', partition: 0, offset: '99' },
    ]);
    await purger.settle();
    expect(calls).toEqual([
      {
        topic: 'app-by-mac-repartition',
        partitions: [
          { partition: 0, offset: '10' },
          { partition: 1, offset: '7' },
        ],
      },
    ]);
  });

  it('waits for its interval, keeping the highest offset per partition meanwhile', async () => {
    const { admin, calls } = fakeAdmin();
    const purger = new RepartitionPurger(() => admin, isRepartition, 60_000);
    purger.committed([{ topic: 'a-repartition', partition: 0, offset: '5' }]);
    purger.committed([{ topic: 'a-repartition', partition: 0, offset: '3' }]);
    await purger.settle();
    expect(calls).toEqual([]);
  });

  it('survives a broker that refuses the deletion', async () => {
    const admin = {
      deleteTopicRecords: async () => {
        throw new Error('not the leader');
      },
    } as unknown as Admin;
    const purger = new RepartitionPurger(() => admin, isRepartition, 0);
    purger.committed([{ topic: 'a-repartition', partition: 0, offset: '5' }]);
    await expect(purger.settle()).resolves.toBeUndefined();
  });
});
