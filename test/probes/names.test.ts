import { describe, expect, it } from 'vitest';
import { foldName, NameIndex, nameProblem } from '../../src/probes/names.js';
import type { DeviceRecord } from '../../src/probes/schemas.js';

const device = (mac: string, name: string | null): DeviceRecord => ({
  mac,
  source: 'user',
  name,
  ip: null,
  model: null,
  type: null,
  is_guest: false,
});

describe('device names as people type them', () => {
  it('shouldFoldCaseAccentsWidthAndBlanks', () => {
    expect(foldName('  Café   KITCHEN\tiPad ')).toBe('cafe kitchen ipad');
    expect(foldName('Ｓａｍｓｕｎｇ')).toBe('samsung');
    expect(foldName('Zoë’s Mac')).toBe('zoe’s mac');
  });

  it('shouldRefuseBlankOverlongAndControlCharacterNames', () => {
    expect(nameProblem('Kitchen iPad')).toBeUndefined();
    expect(nameProblem(' ')).toBe('a device name cannot be empty or blank');
    expect(nameProblem('é'.repeat(257))).toBe('a device name is at most 256 characters');
    expect(nameProblem('a\u0000b')).toBe(
      'a device name cannot hold control characters (such as line breaks)',
    );
  });

  it('shouldGroupTheMacsOfANameAndLeaveUnnamedDevicesOut', () => {
    const index = new NameIndex([
      device('00:00:00:00:00:02', 'TV'),
      device('00:00:00:00:00:01', 'TV'),
      device('00:00:00:00:00:03', null),
    ]);
    expect(index.size).toBe(1);
    expect(index.resolve('tv')).toEqual([{ name: 'TV', macs: ['00:00:00:00:00:01', '00:00:00:00:00:02'] }]);
  });

  it('shouldSuggestPrefixesThenContainingNamesThenTyposClosestFirst', () => {
    const index = new NameIndex([
      device('00:00:00:00:00:01', 'Samsung A53 (Galaxy-A53)'),
      device('00:00:00:00:00:02', 'My Samsung A53'),
      device('00:00:00:00:00:03', 'Samsung A52'),
      device('00:00:00:00:00:04', 'Kitchen iPad'),
    ]);
    expect(index.suggest('samsung a53').map((s) => s.name)).toEqual([
      'Samsung A53 (Galaxy-A53)',
      'My Samsung A53',
      'Samsung A52',
    ]);
    expect(index.suggest('samsng a53').map((s) => s.name)).toEqual([
      'Samsung A53 (Galaxy-A53)',
      'Samsung A52',
    ]);
    expect(index.suggest('toaster')).toEqual([]);
    expect(index.suggest('')).toEqual([]);
  });

  it('shouldSuggestAtMostTheLimit', () => {
    const index = new NameIndex(
      Array.from({ length: 9 }, (_, i) => device(`00:00:00:00:00:0${i}`, `Phone ${i}`)),
    );
    expect(index.suggest('phone')).toHaveLength(5);
  });
});
