/**
 * The one logger every part writes to (see docs/architecture.md, "Logging"): four levels, a namespace per
 * part (`child`), and a sink that a program chooses once: text lines or JSON on stderr, or any function.
 */

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** The least severe level written; `silent` writes nothing. */
export type LogLevel = (typeof logLevels)[number];
/** The level of one entry. */
export type EntryLevel = Exclude<LogLevel, 'silent'>;
export type LogFields = Readonly<Record<string, unknown>>;

/** One entry as it crosses a thread or reaches a sink: plain data. */
export interface LogEntry {
  readonly level: EntryLevel;
  /** The parts it came through, outermost first, joined by "."; "" for the program itself. */
  readonly namespace: string;
  readonly message: string;
  readonly fields?: LogFields;
}

export interface Logger {
  /** The least severe level this logger writes: a caller may skip building what would not be written. */
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger for a part of this one: its entries carry `namespace` after this logger's own. */
  child(namespace: string): Logger;
}

export type LogFormat = 'text' | 'json';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (logLevels as readonly string[]).includes(value);
}

/** Whether a logger at `level` writes entries of `entry`'s level. */
export function writes(level: LogLevel, entry: EntryLevel): boolean {
  return SEVERITY[entry] >= SEVERITY[level];
}

/** Field names whose values are never written, whatever a part hands over (a kafkajs entry, say). */
const SECRET_FIELD = /password|passwd|secret|token|sasl|authorization|credential/i;

function safeFields(fields: LogFields | undefined): LogFields | undefined {
  if (fields === undefined || Object.keys(fields).length === 0) return undefined;
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields))
    safe[key] = SECRET_FIELD.test(key) ? '[redacted]' : value;
  return safe;
}

/** Fields as JSON: an Error as its name, code, message and stack; a bigint as digits; an object met again (a cycle) as "[repeated]". */
function fieldsJson(fields: LogFields): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(fields, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[repeated]';
    seen.add(value);
    if (!(value instanceof Error)) return value;
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    return { name, ...(typeof code === 'string' ? { code } : {}), message, ...(stack ? { stack } : {}) };
  });
}

/** `namespace: message {fields}`, the namespace left out for the program's own entries. */
export function formatText(entry: LogEntry): string {
  const head = entry.namespace === '' ? entry.message : `${entry.namespace}: ${entry.message}`;
  const fields = safeFields(entry.fields);
  return fields === undefined ? head : `${head} ${fieldsJson(fields)}`;
}

/** One JSON object: time, level, namespace, message, then the fields. */
export function formatJson(entry: LogEntry, now = new Date()): string {
  const { level, namespace, message } = entry;
  return fieldsJson({ time: now.toISOString(), level, namespace, message, ...safeFields(entry.fields) });
}

/** A logger whose entries at `level` or more severe go to `sink`. */
export function createLogger(
  sink: (entry: LogEntry) => void,
  level: LogLevel = 'info',
  namespace = '',
): Logger {
  const at =
    (entryLevel: EntryLevel) =>
    (message: string, fields?: LogFields): void => {
      if (!writes(level, entryLevel)) return;
      sink(
        fields === undefined
          ? { level: entryLevel, namespace, message }
          : { level: entryLevel, namespace, message, fields },
      );
    };
  return {
    level,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (name) => createLogger(sink, level, namespace === '' ? name : `${namespace}.${name}`),
  };
}

/**
 * Lines on stderr: `[probestream] namespace: message` (text, as probestream always wrote them) or one JSON
 * object a line.
 */
export function stderrLogger(level: LogLevel = 'info', format: LogFormat = 'text'): Logger {
  return createLogger((entry) => {
    process.stderr.write(
      format === 'json' ? `${formatJson(entry)}\n` : `[probestream] ${formatText(entry)}\n`,
    );
  }, level);
}

/** Each entry as a text line (`namespace: message`) handed to `write`: for tests, and callers with a log of their own. */
export function lineLogger(write: (line: string) => void, level: LogLevel = 'debug'): Logger {
  return createLogger((entry) => write(formatText(entry)), level);
}

/** Writes nothing. */
export const silentLogger: Logger = createLogger(() => {}, 'silent');

/**
 * The logger of a library used without one: stderr text at info, `PROBESTREAM_LOG=silent` muting it and
 * `PROBESTREAM_DEBUG` adding debug entries (kafkajs's among them).
 */
export function defaultLogger(env: Readonly<Record<string, string | undefined>> = process.env): Logger {
  if (env.PROBESTREAM_LOG === 'silent') return silentLogger;
  return stderrLogger(env.PROBESTREAM_DEBUG ? 'debug' : 'info');
}

/** Hands an entry made elsewhere (another thread) to `logger`, under its namespace. */
export function logEntry(logger: Logger, entry: LogEntry): void {
  const target = entry.namespace === '' ? logger : logger.child(entry.namespace);
  target[entry.level](entry.message, entry.fields);
}

/** A logger that passes every message and string field through `redact` first (to take a token out, say). */
export function redactingLogger(logger: Logger, redact: (text: string) => string): Logger {
  const at =
    (level: EntryLevel) =>
    (message: string, fields?: LogFields): void => {
      if (!writes(logger.level, level)) return;
      const clean =
        fields === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries(fields).map(([key, value]) => [
                key,
                typeof value === 'string' ? redact(value) : value,
              ]),
            );
      logger[level](redact(message), clean);
    };
  return {
    level: logger.level,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (namespace) => redactingLogger(logger.child(namespace), redact),
  };
}
