import {
  defaultLogger,
  isLogLevel,
  type LogFormat,
  type Logger,
  type LogLevel,
  stderrLogger,
} from '../logging/index.js';

/**
 * The process's one logger, which every part gets (a child of it): stderr, `[probestream] …` lines or JSON.
 * main() sets it from LOG_LEVEL and LOG_FORMAT before it runs a command.
 */
let current: Logger = defaultLogger();

/** The logger LOG_LEVEL and LOG_FORMAT ask for; unset, PROBESTREAM_LOG=silent and PROBESTREAM_DEBUG still apply. */
export function cliLoggerFor(
  settings: { readonly logLevel: string | undefined; readonly logFormat: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Logger {
  const fallback: LogLevel =
    env.PROBESTREAM_LOG === 'silent' ? 'silent' : env.PROBESTREAM_DEBUG ? 'debug' : 'info';
  const level = isLogLevel(settings.logLevel) ? settings.logLevel : fallback;
  return stderrLogger(level, settings.logFormat as LogFormat);
}

export function useCliLogger(logger: Logger): void {
  current = logger;
}

export function cliLogger(): Logger {
  return current;
}

/** An info line of the program's own, `[probestream] …` in the text format. */
export function log(line: string): void {
  current.info(line);
}
