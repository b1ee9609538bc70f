import { expect, test } from 'vitest';
import { PushHub } from '../../src/api/index.js';

test('fans each event out to every subscriber until it unsubscribes', async () => {
  const hub = new PushHub<number>();
  const a: number[] = [];
  const b: number[] = [];
  const unsubscribeA = await hub.subscribe((n) => a.push(n));
  await hub.subscribe((n) => b.push(n));
  hub.publish(1);
  unsubscribeA();
  hub.publish(2);
  expect(a).toEqual([1]);
  expect(b).toEqual([1, 2]);
});

test('drops a subscriber that throws, telling it why, and goes on with the others', async () => {
  const hub = new PushHub<number>();
  const ends: (Error | undefined)[] = [];
  const seen: number[] = [];
  await hub.subscribe(
    () => {
      throw new Error('socket gone');
    },
    (error) => ends.push(error),
  );
  await hub.subscribe((n) => seen.push(n));
  hub.publish(1);
  hub.publish(2);
  expect(seen).toEqual([1, 2]);
  expect(ends.map((error) => error?.message)).toEqual(['socket gone']);
  expect(hub.size).toBe(1);
});

test('ends every subscription, and refuses new ones after a final end', async () => {
  const hub = new PushHub<number>();
  let ended = 0;
  await hub.subscribe(
    () => {},
    () => ended++,
  );
  hub.end(undefined, true);
  expect(ended).toBe(1);
  await expect(hub.subscribe(() => {})).rejects.toThrow('the push source has ended');
});
