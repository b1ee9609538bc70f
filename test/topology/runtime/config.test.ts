import { describe, expect, it } from 'vitest';
import {
  STREAMS_CONFIG_DOCS,
  type StreamsConfigInput,
  StreamsError,
  streamsConfig,
} from '../../../src/topology/index.js';

const minimal: StreamsConfigInput = { applicationId: 'app', bootstrapServers: 'localhost:9092' };

/** Runs streamsConfig on input that may not type-check, and answers what it threw. */
function failure(input: unknown): StreamsError {
  try {
    streamsConfig(input as StreamsConfigInput);
  } catch (error) {
    return error as StreamsError;
  }
  throw new Error(`streamsConfig accepted ${JSON.stringify(input)}`);
}

describe('streamsConfig', () => {
  it('fills every default', () => {
    const config = streamsConfig(minimal);
    expect(config).toMatchObject({
      applicationId: 'app',
      bootstrapServers: ['localhost:9092'],
      applicationServer: undefined,
      stateDir: './state',
      commitIntervalMs: 1000,
      processingGuarantee: 'at_least_once',
      deserializationExceptionHandler: 'dlq',
      processingExceptionHandler: 'dlq',
      productionExceptionHandler: 'dlq',
      maxRequestBytes: 1_048_576,
      cacheMaxBytes: 10 * 1024 * 1024,
      numStandbyReplicas: 0,
      sessionTimeoutMs: 30_000,
      taskTimeoutMs: 300_000,
      kafka: {},
    });
    expect(config.clientId).toMatch(/^app-[0-9a-f]{8}$/);
  });

  it('keeps the values it is given', () => {
    const config = streamsConfig({
      ...minimal,
      applicationServer: 'api-1:8080',
      stateDir: '/var/lib/probestream',
      commitIntervalMs: 250,
      deserializationExceptionHandler: 'fail',
      processingExceptionHandler: 'dlq',
      cacheMaxBytes: 0,
      sessionTimeoutMs: 6000,
      taskTimeoutMs: 0,
      clientId: 'probe-1',
      kafka: { connectionTimeout: 5000 },
    });
    expect(config).toMatchObject({
      applicationServer: 'api-1:8080',
      stateDir: '/var/lib/probestream',
      commitIntervalMs: 250,
      deserializationExceptionHandler: 'fail',
      processingExceptionHandler: 'dlq',
      cacheMaxBytes: 0,
      sessionTimeoutMs: 6000,
      taskTimeoutMs: 0,
      clientId: 'probe-1',
      kafka: { connectionTimeout: 5000 },
    });
  });

  it('answers a frozen object, bootstrap servers and kafka settings included', () => {
    const config = streamsConfig({ ...minimal, kafka: { connectionTimeout: 5000 } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bootstrapServers)).toBe(true);
    expect(Object.isFrozen(config.kafka)).toBe(true);
    expect(() => {
      (config as { commitIntervalMs: number }).commitIntervalMs = 5;
    }).toThrow(TypeError);
  });

  it('accepts bootstrap servers comma-separated, with spaces, or as an array', () => {
    expect(streamsConfig({ ...minimal, bootstrapServers: 'a:1,b:2' }).bootstrapServers).toEqual([
      'a:1',
      'b:2',
    ]);
    expect(streamsConfig({ ...minimal, bootstrapServers: 'a:1, b:2' }).bootstrapServers).toEqual([
      'a:1',
      'b:2',
    ]);
    expect(streamsConfig({ ...minimal, bootstrapServers: ['a:1', 'b:2'] }).bootstrapServers).toEqual([
      'a:1',
      'b:2',
    ]);
    expect(streamsConfig({ ...minimal, bootstrapServers: '[::1]:9092' }).bootstrapServers).toEqual([
      '[::1]:9092',
    ]);
  });

  it('does not keep the array it was given', () => {
    const servers = ['a:1'];
    const config = streamsConfig({ ...minimal, bootstrapServers: servers });
    servers.push('b:2');
    expect(config.bootstrapServers).toEqual(['a:1']);
  });

  it('documents every setting', () => {
    const config = streamsConfig(minimal);
    for (const key of Object.keys(config).filter((k) => k !== 'kafka')) {
      expect(STREAMS_CONFIG_DOCS).toHaveProperty(key);
    }
  });

  const invalid: [string, unknown, string, RegExp?][] = [
    ['applicationId is missing', { bootstrapServers: 'a:1' }, 'applicationId'],
    ['applicationId has a space', { ...minimal, applicationId: 'my app' }, 'applicationId'],
    ['applicationId is empty', { ...minimal, applicationId: '' }, 'applicationId'],
    ['bootstrapServers is missing', { applicationId: 'app' }, 'bootstrapServers', /is required/],
    ['bootstrapServers is an empty array', { ...minimal, bootstrapServers: [] }, 'bootstrapServers'],
    [
      'bootstrapServers has no port',
      { ...minimal, bootstrapServers: 'nohost' },
      'bootstrapServers',
      /"nohost"/,
    ],
    ['one bootstrap server has no port', { ...minimal, bootstrapServers: 'a:1,b' }, 'bootstrapServers'],
    ['commitIntervalMs is 0', { ...minimal, commitIntervalMs: 0 }, 'commitIntervalMs', /got 0/],
    ['commitIntervalMs is 1.5', { ...minimal, commitIntervalMs: 1.5 }, 'commitIntervalMs', /got 1\.5/],
    [
      'commitIntervalMs is a string',
      { ...minimal, commitIntervalMs: '1000' },
      'commitIntervalMs',
      /got "1000"/,
    ],
    ['commitIntervalMs is over an hour', { ...minimal, commitIntervalMs: 3_600_001 }, 'commitIntervalMs'],
    ['a key is misspelt', { ...minimal, comitIntervalMs: 500 }, 'comitIntervalMs', /is not a setting/],
    ['processingGuarantee is unknown', { ...minimal, processingGuarantee: 'maybe' }, 'processingGuarantee'],
    ['applicationServer has no port', { ...minimal, applicationServer: 'x' }, 'applicationServer'],
    [
      'a handler is unknown',
      { ...minimal, processingExceptionHandler: 'ignore' },
      'processingExceptionHandler',
    ],
    ['numStandbyReplicas is 4', { ...minimal, numStandbyReplicas: 4 }, 'numStandbyReplicas'],
    ['sessionTimeoutMs is under 6 s', { ...minimal, sessionTimeoutMs: 5999 }, 'sessionTimeoutMs'],
    ['taskTimeoutMs is negative', { ...minimal, taskTimeoutMs: -1 }, 'taskTimeoutMs'],
    ['cacheMaxBytes is negative', { ...minimal, cacheMaxBytes: -1 }, 'cacheMaxBytes'],
    ['stateDir is empty', { ...minimal, stateDir: '' }, 'stateDir'],
    ['clientId is empty', { ...minimal, clientId: '' }, 'clientId'],
  ];

  it.each(invalid)('throws INVALID_CONFIG naming the key when %s', (_, input, key, detail) => {
    const error = failure(input);
    expect(error).toBeInstanceOf(StreamsError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message.startsWith(`${key}: `)).toBe(true);
    if (detail) expect(error.message).toMatch(detail);
  });

  it('throws INVALID_CONFIG, not a TypeError, when given no input at all', () => {
    expect(failure(undefined).code).toBe('INVALID_CONFIG');
  });

  it('quotes the setting doc in the error, so the message says what is allowed', () => {
    expect(failure({ ...minimal, commitIntervalMs: 0 }).message).toContain(
      STREAMS_CONFIG_DOCS.commitIntervalMs,
    );
  });

  // Regression: any 1 to 5 digits passed as a port, failing only later, at connect time.
  it('rejects a port outside 1 to 65535', () => {
    expect(failure({ ...minimal, bootstrapServers: 'h:99999' }).code).toBe('INVALID_CONFIG');
    expect(failure({ ...minimal, applicationServer: 'h:0' }).code).toBe('INVALID_CONFIG');
  });
});
