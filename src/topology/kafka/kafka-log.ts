import { type KafkaConfig, logLevel } from 'kafkajs';
import type { EntryLevel, Logger } from '../../logging/index.js';

const LEVELS: Record<number, EntryLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs's own log, handed to `logger`'s child "kafkajs" (its levels mapped to ours), when `logger` writes
 * debug entries; otherwise nothing. kafkajs logs every retried request at ERROR ("The coordinator is
 * loading"), which a user cannot act on: real failures reach the user as probestream's errors. Made where
 * each client is made, since a function cannot be handed to a worker thread.
 */
export function kafkaLogging(logger: Logger): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  if (logger.level !== 'debug') return { logLevel: logLevel.NOTHING };
  const kafkajs = logger.child('kafkajs');
  return {
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        // Its timestamp and logger name say what the entry's time and namespace say already.
        const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
        kafkajs[LEVELS[level] ?? 'info'](namespace ? `${namespace}: ${message}` : message, fields);
      },
  };
}
