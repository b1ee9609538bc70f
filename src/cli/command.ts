import type { SettingName, Settings } from './settings.js';

/** What a command's `run` gets. */
export interface CommandContext<N extends SettingName> {
  readonly settings: Settings<N>;
  /** The settings the user gave (flag or environment) rather than left to their defaults. */
  readonly explicit: ReadonlySet<N>;
  readonly positionals: readonly string[];
  /** Aborted on the first SIGINT or SIGTERM: stop, clean up, return. */
  readonly signal: AbortSignal;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** One `probestream <name>` command. `run` resolves to the exit code. */
export interface Command<N extends SettingName = SettingName> {
  readonly name: string;
  readonly summary: string;
  /** After `probestream <name>`: the positional arguments, e.g. `<file>`. */
  readonly arguments?: string;
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Longer help, printed after the usage line. */
  readonly description?: string;
  readonly settings: readonly N[];
  /** Where the command's own default differs from the setting's, as the help should state it. */
  readonly defaults?: Partial<Record<N, string>>;
  run(context: CommandContext<N>): Promise<number>;
}

/** Every command reads these: main() builds the process's logger from them. */
export const LOG_SETTINGS = ['logLevel', 'logFormat'] as const;

/** Declares a command with its settings' types checked (each setting once, in the order first named). */
export function defineCommand<N extends SettingName>(command: Command<N>): Command<N> {
  return { ...command, settings: [...new Set([...command.settings, ...LOG_SETTINGS])] as N[] };
}

/** A failure the user can fix, reported as one line with exit code `exitCode` and no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
