import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The compiled package, run by plain Node as `probestream` is installed. Vitest and tsx rewrite imports, so
 * an import Node's own loader refuses (a named import of a CommonJS export it cannot see, once) passes every
 * other test and breaks every command. Built into a folder inside the repository, so that node_modules
 * resolves as it does for dist/.
 */
describe('the built CLI', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(ROOT, 'scratch-build-'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out]);
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('loads every command and prints the topology', async () => {
    const help = await run(process.execPath, [join(out, 'cli', 'main.js'), '--help']);
    expect(help.stdout).toMatch(/^ {2}skip {6}/m);
    const topology = await run(process.execPath, [join(out, 'cli', 'main.js'), 'topology']);
    expect(topology.stdout).toMatch(/^Topologies:/m);
  });

  it('loads the engine and the probe topology as plain ESM, as the worker thread does', async () => {
    const script = `import(${JSON.stringify(join(out, 'probes', 'topology.js'))}).then(async (m) => {
      const engine = await import(${JSON.stringify(join(out, 'topology', 'index.js'))});
      console.log(typeof engine.WorkerStreams, m.buildProbeTopology().describe().split('\\n')[0]);
    })`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('function Topologies:');
  });
});
