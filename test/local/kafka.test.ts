import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../src/local/kafka.js';

describe('newClusterId', () => {
  // Regression: an id starting with '-' made kafka-storage format fail ("--cluster-id: expected one argument").
  it('never starts with a dash, and is 22 URL-safe base64 characters', () => {
    for (let i = 0; i < 5000; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
