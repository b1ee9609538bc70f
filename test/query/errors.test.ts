import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/errors/index.js';
import { SqlError, sqlErrorCodes } from '../../src/query/index.js';

describe('sqlErrorCodes', () => {
  // Codes are a public contract: adding one is a feature, renaming or removing one breaks callers.
  it('is exactly this catalogue, in this order', () => {
    expect(sqlErrorCodes).toEqual([
      'SQL_PARSE_ERROR',
      'SQL_UNKNOWN_RELATION',
      'SQL_UNKNOWN_COLUMN',
      'SQL_UNKNOWN_FUNCTION',
      'SQL_TYPE_ERROR',
      'SQL_UNSUPPORTED',
      'SQL_LIMIT_EXCEEDED',
      'SQL_TIMEOUT',
      'SQL_UNAVAILABLE',
    ]);
  });

  it('is a CodedError named SqlError whose message leads with the position', () => {
    const error = new SqlError('SQL_PARSE_ERROR', 'expected FROM', { line: 2, column: 7, offset: 20 });
    expect(error).toBeInstanceOf(CodedError);
    expect(String(error)).toBe('SqlError: line 2:7: expected FROM');
    expect(error).toMatchObject({ code: 'SQL_PARSE_ERROR', position: { line: 2, column: 7 } });
  });
});
