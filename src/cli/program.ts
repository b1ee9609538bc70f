import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const HELP = `probestream ${version}: a Kafka-Streams-style stream processor for Wi-Fi probe requests

Usage: probestream [--help] [--version]

Its commands (start, replay, capture, cdc, bot, query, demo, topology) arrive with the issues that build
them; this release is the foundation: the library layout and the local services its tests run on.
`;

/** Runs the CLI with the given arguments; returns the exit code. */
export function main(argv: readonly string[]): number {
  let values: { help?: boolean; version?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    }));
  } catch (error) {
    process.stderr.write(`probestream: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return 0;
  }
  process.stderr.write(`probestream: unknown command ${JSON.stringify(positionals[0])}\n\n${HELP}`);
  return 2;
}
