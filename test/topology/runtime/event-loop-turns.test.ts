import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../../src/topology/runtime/event-loop-turns.js';

describe('nextTurn', () => {
  it('lets I/O and timers run between two slices that wait at the same time', async () => {
    const order: string[] = [];
    const slice = async (name: string) => {
      await nextTurn();
      order.push(name);
      // What a query would do: become due while the slice runs, and be answered in the next turn.
      setTimeout(() => order.push(`after ${name}`), 1);
      const until = performance.now() + 3;
      while (performance.now() < until) {
        // a slice of synchronous work
      }
    };
    await Promise.all([slice('a'), slice('b'), slice('c')]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['a', 'after a', 'b', 'after b', 'c', 'after c']);
  });

  it('hands out turns in the order they were asked for', async () => {
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => nextTurn().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('resolves a slice that asks alone in the next turn', async () => {
    let immediate = false;
    setImmediate(() => {
      immediate = true;
    });
    await nextTurn();
    expect(immediate).toBe(true);
  });
});
