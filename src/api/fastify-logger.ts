import type { FastifyBaseLogger } from 'fastify';
import { type EntryLevel, type LogFields, type Logger, writes } from '../logging/index.js';

/**
 * Fastify's logger (pino's calls: `log.error({ err }, 'message')`) over the process's Logger. Fastify's info
 * entries (a line per request, "Server listening") are written as debug: the application says what a user
 * needs itself. Of a child's bindings only plain values are kept (a request id), never a request object.
 */
export function fastifyLogger(logger: Logger, fields: LogFields | (() => LogFields) = {}): FastifyBaseLogger {
  // Fastify makes a child and writes two debug entries per request: at the usual levels those entries
  // cost nothing, and a child's bindings are worked out only when it writes.
  let bound: LogFields | undefined;
  const bindings = () => {
    bound ??= typeof fields === 'function' ? fields() : fields;
    return bound;
  };
  const noop = () => {};
  const at = (level: EntryLevel) =>
    !writes(logger.level, level)
      ? noop
      : (first: unknown, ...rest: unknown[]): void => {
          const text = typeof rest[0] === 'string' ? rest[0] : undefined;
          if (typeof first === 'string') logger[level](first, bindings());
          else if (first instanceof Error)
            logger[level](text ?? first.message, { ...bindings(), err: first });
          else logger[level](text ?? '', { ...bindings(), ...(first as object) });
        };
  const adapter = {
    level: logger.level,
    fatal: at('error'),
    error: at('error'),
    warn: at('warn'),
    info: at('debug'),
    debug: at('debug'),
    trace: at('debug'),
    silent: () => {},
    child: (more: Record<string, unknown>) =>
      fastifyLogger(logger, () => ({ ...bindings(), ...plainValues(more) })),
  };
  // pino's LogFn is a set of overloads that one function taking `unknown` serves but cannot be declared as.
  return adapter as unknown as FastifyBaseLogger;
}

function plainValues(fields: Record<string, unknown>): LogFields {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value)),
  );
}
