import { type KafkaConfig, logLevel } from 'kafkajs';

/**
 * kafkajs's own log, on stderr one line an entry, when PROBESTREAM_DEBUG is set; otherwise nothing. kafkajs
 * logs every retried request at ERROR ("The coordinator is loading"), which a user cannot act on: real
 * failures reach the user as probestream's errors. Made where each client is made (a function cannot be
 * handed to a worker thread), so every thread reads the switch itself.
 */
export function kafkaDebugLogging(): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  if (!process.env.PROBESTREAM_DEBUG) return { logLevel: logLevel.NOTHING };
  return {
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, label, log: entry }) => {
        const { message, ...rest } = entry;
        process.stderr.write(`[kafkajs] ${label} ${namespace}: ${message} ${JSON.stringify(rest)}\n`);
      },
  };
}
