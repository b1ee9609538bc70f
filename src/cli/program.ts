import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Command, LOG_SETTINGS, UsageError } from './command.js';
import { COMMANDS } from './commands/index.js';
import { cliLogger, cliLoggerFor, useCliLogger } from './log.js';
import {
  describeSettings,
  explicitSettings,
  loadSettings,
  SETTINGS,
  type SettingName,
  SettingsError,
} from './settings.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `probestream ${version}: a Kafka-Streams-style stream processor for Wi-Fi probe requests

Usage: probestream <command> [options]
       probestream --help | --version

Commands:
${commands}

Run \`probestream <command> --help\` for a command's options. Every option has an environment twin.
`;
}

function commandHelp(command: Command): string {
  const usage = `probestream ${command.name}${command.arguments ? ` ${command.arguments}` : ''} [options]`;
  const options = describeSettings(command.settings, command.defaults);
  return `${command.summary}

Usage: ${usage}
${command.description ? `\n${command.description.replace(/^\n+/, '').trimEnd()}\n` : ''}
Options (flag, environment variable):
${options}${options ? '\n' : ''}  --help, -h  This help.
`;
}

function parseCommandArgs(command: Command, argv: readonly string[]) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of command.settings as readonly SettingName[]) {
    const spec = SETTINGS[name];
    if ('flag' in spec) options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  }
  return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
}

/** Runs the CLI with the given arguments; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    // Nothing was asked: the help, but as a usage error, so that a script calling it wrongly notices.
    process.stderr.write(programHelp());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(programHelp());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith('-')
      ? `unknown option ${JSON.stringify(first)}`
      : `unknown command ${JSON.stringify(first)}`;
    process.stderr.write(`probestream: ${what}\n\n${programHelp()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (error) {
    process.stderr.write(
      `probestream ${command.name}: ${(error as Error).message}\n\n${commandHelp(command)}`,
    );
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const expected = command.arguments ?? 'no arguments';
    process.stderr.write(`probestream ${command.name}: expected ${expected}\n\n${commandHelp(command)}`);
    return 2;
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`probestream: ${signal} again, exiting at once\n`);
      process.exit(130);
    }
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const flags = parsed.values as Record<string, string | boolean>;
    const settings = loadSettings(command.settings, flags);
    useCliLogger(cliLoggerFor(loadSettings(LOG_SETTINGS, flags)));
    return await command.run({
      settings,
      explicit: explicitSettings(command.settings, flags),
      positionals: parsed.positionals,
      signal: controller.signal,
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (error) {
    return reportFailure(command, error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A command's failure on stderr, in one line (with a hint for an unreachable broker); answers the exit code. */
function reportFailure(command: Command, error: unknown): number {
  if (error instanceof SettingsError || error instanceof UsageError) {
    process.stderr.write(`probestream ${command.name}: ${error.message}\n`);
    return error instanceof UsageError ? error.exitCode : 2;
  }
  const code = (error as { code?: unknown }).code;
  const prefix = typeof code === 'string' ? `${code}: ` : '';
  const message = (error as Error).message ?? String(error);
  process.stderr.write(`probestream ${command.name}: ${prefix}${message}\n`);
  if (/ECONNREFUSED|ENOTFOUND|Connection error/.test(message)) {
    process.stderr.write(
      'Is Kafka running there? Give its address with --brokers or KAFKA_BROKERS (`npm run demo` starts one and prints it).\n',
    );
  }
  if (cliLogger().level === 'debug') process.stderr.write(`${(error as Error).stack}\n`);
  return 1;
}
