import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { fastifyLogger } from '../../src/api/fastify-logger.js';
import { cliLoggerFor } from '../../src/cli/log.js';
import {
  createLogger,
  defaultLogger,
  formatJson,
  type LogEntry,
  lineLogger,
  logEntry,
  redactingLogger,
} from '../../src/logging/index.js';
import { kafkaLogging } from '../../src/topology/index.js';

function collect(level: Parameters<typeof createLogger>[1] = 'debug') {
  const entries: LogEntry[] = [];
  return { entries, logger: createLogger((entry) => entries.push(entry), level) };
}

describe('Logger', () => {
  it('writes entries at its level and above, and nothing when silent', () => {
    const { entries, logger } = collect('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e', { code: 'X' });
    expect(entries).toEqual([
      { level: 'warn', namespace: '', message: 'w' },
      { level: 'error', namespace: '', message: 'e', fields: { code: 'X' } },
    ]);
    const silent = collect('silent');
    silent.logger.error('never');
    expect(silent.entries).toEqual([]);
  });

  it('names each part by a namespace after its parent', () => {
    const lines: string[] = [];
    const logger = lineLogger((line) => lines.push(line));
    logger.info('own');
    logger.child('bot').warn('stopped');
    logger.child('api').child('push').info('ended', { topic: 'alerts' });
    expect(lines).toEqual(['own', 'bot: stopped', 'api.push: ended {"topic":"alerts"}']);
  });

  it('never writes a field whose name says secret, and takes what redact finds out of messages and fields', () => {
    const lines: string[] = [];
    const logger = redactingLogger(
      lineLogger((line) => lines.push(line)),
      (text) => text.replaceAll('s3cr3t', '<token>'),
    );
    logger.info('called /bots3cr3t/getMe', { password: 'hunter2', url: 'x/s3cr3t', sasl: { user: 'u' } });
    expect(lines).toEqual([
      'called /bot<token>/getMe {"password":"[redacted]","url":"x/<token>","sasl":"[redacted]"}',
    ]);
  });

  it('writes JSON lines with time, level, namespace, message, fields, and errors with their code', () => {
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' });
    const line = formatJson(
      { level: 'error', namespace: 'api', message: 'request failed', fields: { err: error, n: 10n } },
      new Date('2026-01-02T03:04:05.000Z'),
    );
    expect(JSON.parse(line)).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'error',
      namespace: 'api',
      message: 'request failed',
      err: { name: 'Error', code: 'E_BOOM', message: 'boom', stack: error.stack },
      n: '10',
    });
  });

  it('hands an entry from another thread on under its namespace', () => {
    const { entries, logger } = collect();
    logEntry(logger.child('engine'), { level: 'info', namespace: 'kafkajs', message: 'joined' });
    expect(entries).toEqual([{ level: 'info', namespace: 'engine.kafkajs', message: 'joined' }]);
  });

  it('by default follows PROBESTREAM_LOG and PROBESTREAM_DEBUG', () => {
    expect(defaultLogger({}).level).toBe('info');
    expect(defaultLogger({ PROBESTREAM_DEBUG: '1' }).level).toBe('debug');
    expect(defaultLogger({ PROBESTREAM_LOG: 'silent', PROBESTREAM_DEBUG: '1' }).level).toBe('silent');
  });
});

describe("the CLI's logger", () => {
  it('takes LOG_LEVEL first, then PROBESTREAM_LOG and PROBESTREAM_DEBUG', () => {
    expect(cliLoggerFor({ logLevel: 'warn', logFormat: 'text' }, { PROBESTREAM_DEBUG: '1' }).level).toBe(
      'warn',
    );
    expect(cliLoggerFor({ logLevel: undefined, logFormat: 'json' }, { PROBESTREAM_DEBUG: '1' }).level).toBe(
      'debug',
    );
    expect(
      cliLoggerFor({ logLevel: undefined, logFormat: 'text' }, { PROBESTREAM_LOG: 'silent' }).level,
    ).toBe('silent');
  });
});

describe("kafkajs's log", () => {
  it('is off unless the logger writes debug entries', () => {
    expect(kafkaLogging(collect('info').logger)).toEqual({ logLevel: logLevel.NOTHING });
  });

  it('reaches the child "kafkajs" with its levels mapped', () => {
    const { entries, logger } = collect('debug');
    const options = kafkaLogging(logger);
    expect(options.logLevel).toBe(logLevel.INFO);
    const write = options.logCreator?.(logLevel.INFO);
    const log = (level: logLevel, message: string) =>
      write?.({ namespace: 'Consumer', level, label: '', log: { timestamp: 't', message, groupId: 'g' } });
    log(logLevel.ERROR, 'crashed');
    log(logLevel.WARN, 'slow');
    log(logLevel.INFO, 'joined');
    expect(entries).toEqual([
      {
        level: 'error',
        namespace: 'kafkajs',
        message: 'Consumer: crashed',
        fields: { groupId: 'g' },
      },
      {
        level: 'warn',
        namespace: 'kafkajs',
        message: 'Consumer: slow',
        fields: { groupId: 'g' },
      },
      {
        level: 'info',
        namespace: 'kafkajs',
        message: 'Consumer: joined',
        fields: { groupId: 'g' },
      },
    ]);
  });
});

describe("Fastify's logger over the Logger", () => {
  it("writes a failed request at error with its error, and Fastify's info at debug, without request objects", () => {
    const { entries, logger } = collect('debug');
    const request = fastifyLogger(logger).child({ reqId: 'req-1', req: { socket: {} } });
    const error = new Error('bug');
    request.error({ err: error }, 'request failed');
    request.info('incoming request');
    expect(entries).toEqual([
      { level: 'error', namespace: '', message: 'request failed', fields: { reqId: 'req-1', err: error } },
      { level: 'debug', namespace: '', message: 'incoming request', fields: { reqId: 'req-1' } },
    ]);
  });
});
