import { describe, expect, it } from 'vitest';
import { isTransient, retryWhileTransient } from '../../../src/topology/kafka/transient.js';

/** An error shaped like kafkajs's: a name, a message, and the error it wraps as `cause`. */
function kafkaError(name: string, message: string, cause?: Error): Error {
  const error = new Error(message, cause ? { cause } : undefined);
  error.name = name;
  return error;
}

describe('isTransient', () => {
  it('knows a broker that is down, restarting or electing leaders', () => {
    expect(
      isTransient(
        kafkaError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
      ),
    ).toBe(true);
    expect(
      isTransient(
        kafkaError('KafkaJSProtocolError', 'This server is not the leader for that topic-partition'),
      ),
    ).toBe(true);
    expect(
      isTransient(
        kafkaError('KafkaJSProtocolError', "The coordinator is loading and hence can't process requests"),
      ),
    ).toBe(true);
    expect(
      isTransient(kafkaError('KafkaJSRequestTimeoutError', 'Request Produce(key: 0, version: 7) timed out')),
    ).toBe(true);
  });

  it('looks along the cause chain, as a commit failure wraps the client error', () => {
    const cause = kafkaError(
      'KafkaJSNumberOfRetriesExceeded',
      'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    );
    const commit = kafkaError('StreamsError', 'Kafka refused the commit', cause);
    expect(isTransient(commit)).toBe(true);
  });

  it('does not take lasting errors for passing ones', () => {
    expect(
      isTransient(
        kafkaError(
          'KafkaJSProtocolError',
          'The request included a message larger than the max message size the server will accept',
        ),
      ),
    ).toBe(false);
    expect(
      isTransient(
        kafkaError('KafkaJSProtocolError', 'Not authorized to access topics: [Topic authorization failed]'),
      ),
    ).toBe(false);
    expect(isTransient(new TypeError('x is not a function'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});

describe('retryWhileTransient', () => {
  const signal = new AbortController().signal;

  it('retries a transient failure with backoff, logs it, and returns the result', async () => {
    const lines: string[] = [];
    let calls = 0;
    const result = await retryWhileTransient(
      'answer',
      async () => {
        calls += 1;
        if (calls < 3) throw kafkaError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED');
        return 'ok';
      },
      { deadline: Date.now() + 10_000, signal, log: (line) => lines.push(line), firstBackoffMs: 5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^waiting for Kafka to answer: Connection error: connect ECONNREFUSED \(retrying for up to \d+ s more\)$/,
    );
  });

  it('rethrows a lasting failure at once', async () => {
    let calls = 0;
    const failing = retryWhileTransient(
      'answer',
      async () => {
        calls += 1;
        throw new TypeError('broken');
      },
      { deadline: Date.now() + 10_000, signal, log: () => {}, firstBackoffMs: 5 },
    );
    await expect(failing).rejects.toThrow('broken');
    expect(calls).toBe(1);
  });

  it('gives up at the deadline with the last error', async () => {
    const failing = retryWhileTransient(
      'answer',
      async () => {
        throw kafkaError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED');
      },
      { deadline: Date.now() + 50, signal, log: () => {}, firstBackoffMs: 10 },
    );
    await expect(failing).rejects.toThrow('ECONNREFUSED');
  });

  it('resolves undefined when stopped', async () => {
    const stop = new AbortController();
    const waiting = retryWhileTransient(
      'answer',
      async () => {
        throw kafkaError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED');
      },
      { deadline: Date.now() + 60_000, signal: stop.signal, log: () => {}, firstBackoffMs: 5_000 },
    );
    setTimeout(() => stop.abort(), 20);
    expect(await waiting).toBeUndefined();
  });
});
