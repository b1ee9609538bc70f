import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/errors/index.js';
import { SerdeError, StreamsError, streamsErrorCodes } from '../../src/topology/errors.js';

describe('streamsErrorCodes', () => {
  // Codes are a public contract: adding one is a feature, renaming or removing one breaks callers.
  it('is exactly this catalogue, in this order', () => {
    expect(streamsErrorCodes).toEqual([
      'SERDE_SERIALIZATION_FAILED',
      'SERDE_DESERIALIZATION_FAILED',
      'INVALID_TIMESTAMP',
      'PROCESSING_FAILED',
      'INVALID_CONFIG',
      'MISSING_TOPIC',
      'TOPICS_NOT_COPARTITIONED',
      'INTERNAL_TOPIC_MISMATCH',
      'STORE_NOT_CONNECTED',
      'INVALID_STATE_STORE',
      'ILLEGAL_STATE',
      'COMMIT_FAILED',
      'PARTITION_READER_NOT_CONNECTED',
      'PARTITION_READER_FETCH_FAILED',
      'PARTITION_READER_OFFSET_BEYOND_END',
      'PARTITION_READER_UNSUPPORTED',
      'PRODUCER_UNSUPPORTED',
      'TOPOLOGY_MISMATCH',
      'WORKER_FAILED',
      'RECORD_TOO_LARGE',
      'RECORD_SKIPPED',
    ]);
  });

  it('has no duplicate codes', () => {
    expect(new Set(streamsErrorCodes).size).toBe(streamsErrorCodes.length);
  });
});

describe('StreamsError', () => {
  it('carries its code, name, message and cause', () => {
    const cause = new Error('underlying');
    const error = new StreamsError('SERDE_SERIALIZATION_FAILED', 'could not write', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'StreamsError',
      code: 'SERDE_SERIALIZATION_FAILED',
      message: 'could not write',
    });
    expect(error.cause).toBe(cause);
  });

  it('has no cause when none is given', () => {
    const error = new StreamsError('SERDE_SERIALIZATION_FAILED', 'could not write');
    expect('cause' in error).toBe(false);
  });
});

describe('SerdeError', () => {
  it('is a CodedError named SerdeError that carries its code and cause (serdes sit below the engine)', () => {
    const cause = new SyntaxError('bad json');
    const error = new SerdeError('SERDE_DESERIALIZATION_FAILED', 'could not read', { cause });
    expect(error).toBeInstanceOf(CodedError);
    expect(error).not.toBeInstanceOf(StreamsError);
    expect(error).toMatchObject({ name: 'SerdeError', code: 'SERDE_DESERIALIZATION_FAILED' });
    expect(error.cause).toBe(cause);
  });

  it('shows its name in its string form and stack', () => {
    const error = new SerdeError('SERDE_DESERIALIZATION_FAILED', 'could not read');
    expect(String(error)).toBe('SerdeError: could not read');
    expect(error.stack?.split('\n')[0]).toBe('SerdeError: could not read');
  });
});
