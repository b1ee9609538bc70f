import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../support.js';
import { type Instance, killAllInstances } from './instances.js';

/** The chaos suite's guards: a current build, Ctrl-C, and what the instances' own exits said. */

/** The newest modification time of the files under `dir`, in ms. */
async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** The instances run `dist/`: figures from older code than `src/` would be figures of the wrong code. */
export async function checkBuild(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const built = await stat(join(root, 'dist', 'cli', 'main.js')).catch(() => undefined);
  if (!built) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  if ((await newestMtime(join(root, 'src'))) > built.mtimeMs) {
    throw new Error('src/ has changed since dist/ was built: run `npm run build` first');
  }
}

/** Ctrl-C and SIGTERM: kill the instances at once and end the run through its cleanup; twice: exit now. */
export function onInterrupt(abort: AbortController): () => void {
  const handler = (signal: NodeJS.Signals) => {
    killAllInstances();
    if (abort.signal.aborted) process.exit(130);
    log(`${signal}: stopping the chaos run`);
    abort.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Why instances exited by themselves, counted by the reason their last lines give. */
export function selfExitReasons(instances: readonly Instance[]): Record<string, number> {
  const reasons: Record<string, number> = {};
  for (const exit of instances.flatMap((x) => x.selfExits)) {
    const lines = exit.tail.split('\n');
    const line =
      lines.findLast((l) => /stopped after an error|probestream start:/.test(l)) ??
      lines.at(-1) ??
      `code ${exit.code}, signal ${exit.signal}`;
    // Task ids and ports differ from one exit to the next; the reason does not.
    const reason = line
      .replace(/^\[probestream\] /, '')
      .replace(/\b\d+_\d+\b|:\d{4,5}\b/g, '…')
      .slice(0, 160);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return reasons;
}
