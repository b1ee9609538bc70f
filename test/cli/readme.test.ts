import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { SETTINGS, type SettingSpec } from '../../src/cli/settings.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("the README's settings table", () => {
  it('has a row, with its flag and default, for every setting a command reads', () => {
    const used = new Set(COMMANDS.flatMap((command) => command.settings as readonly string[]));
    for (const name of used) {
      const spec: SettingSpec = SETTINGS[name as keyof typeof SETTINGS];
      const row = `| ${spec.env ? `\`${spec.env}\`` : ''} | ${spec.flag ? `\`--${spec.flag}\`` : ''} | ${
        spec.default === undefined ? 'unset' : `\`${spec.default}\``
      } |`;
      expect(readme, name).toContain(row);
    }
  });
});
