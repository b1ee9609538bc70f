import { expect, test } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/api/index.js';

test('a cursor gives back the key it was made from, whatever its characters', () => {
  for (const key of ['a4:83:e7:4e:39:15', "Dave's iPhone", 'café ☕ / ?&=', '\u0000']) {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(key);
  }
});

test('a cursor this API did not write is INVALID_CURSOR', () => {
  for (const cursor of ['', '***', 'YR', 'YQ==', Buffer.from([0xc3]).toString('base64url')]) {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  }
});
