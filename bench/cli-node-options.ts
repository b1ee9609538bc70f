import { readFileSync } from 'node:fs';

/**
 * The Node.js options the CLI names in its shebang (`#!/usr/bin/env -S node …`): a bench that starts
 * it with `node <file>`, and the Dockerfile's entry point, pass them too, so it runs as `probestream` does.
 */
export function cliNodeOptions(cliPath: string): string[] {
  const first = readFileSync(cliPath, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node(.*)$/.exec(first);
  return match?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
}
