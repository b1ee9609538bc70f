import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/api/console.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const assets = readdirSync(CONSOLE_DIR);

describe("the web console's files", () => {
  it('ship in the npm package, and nothing they load comes from elsewhere', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
    });
    const packed = new Set(
      (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path),
    );
    for (const asset of assets) expect(packed, asset).toContain(`console/${asset}`);
    expect(packed).toContain('dashboards/grafana/probestream.json');

    const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1] as string);
    for (const url of referenced.filter((u) => u.startsWith('/console/'))) {
      expect(assets, url).toContain(url.slice('/console/'.length));
    }
    expect(referenced.filter((u) => !u.startsWith('/'))).toEqual([]);
    for (const script of assets.filter((a) => a.endsWith('.js'))) {
      const source = readFileSync(join(CONSOLE_DIR, script), 'utf8');
      for (const [, target] of source.matchAll(/from '\.\/([\w-]+\.js)'/g))
        expect(assets, script).toContain(target);
      // Strings are never parsed as HTML (the page's Trusted Types policy would refuse it too).
      expect(source, script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    }
  }, 60_000);

  it('stay small: no framework, under 64 KiB in all', () => {
    const bytes = assets.reduce((sum, asset) => sum + statSync(join(CONSOLE_DIR, asset)).size, 0);
    expect(bytes).toBeLessThan(64 * 1024);
  });
});
