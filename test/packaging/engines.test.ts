import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

describe('the Node.js versions probestream supports', () => {
  it('shouldInstallEveryLockedPackageOnThisNodeWithoutAnEngineWarning', async () => {
    // `npm ci` only warns about a package that needs a newer Node (EBADENGINE); --engine-strict makes the
    // same check fail. A dry run from the lockfile needs no network and installs nothing.
    const dir = mkdtempSync(join(tmpdir(), 'probestream-engines-'));
    try {
      for (const file of ['package.json', 'package-lock.json'])
        copyFileSync(join(ROOT, file), join(dir, file));
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          'npm',
          ['ci', '--dry-run', '--engine-strict', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'],
          { cwd: dir, timeout: 60_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
        );
      });
      expect(result.output).not.toMatch(/EBADENGINE|notsup/);
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shouldStateTheSameNodeFloorInPackageJsonTheReadmeAndCi', () => {
    const floor = /^>=(\d+)\.(\d+)$/.exec(manifest.engines.node);
    expect(floor).not.toBeNull();
    const [, major, minor] = floor as RegExpExecArray;
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${major}.${minor}+`);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain(`Node.js >= ${major}.${minor} needed`);
  });
});
