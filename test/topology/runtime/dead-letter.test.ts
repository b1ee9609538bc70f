import { describe, expect, it } from 'vitest';
import { recordSizeBound } from '../../../src/topology/kafka/record-size.js';
import { deadLetterRecord } from '../../../src/topology/runtime/dead-letter.js';

const reason = {
  code: 'SERDE_DESERIALIZATION_FAILED',
  errorClass: 'SerdeError',
  message: 'not JSON',
  source: { topic: 'pcap', partition: 4, offset: '17' },
  sourceTimestamp: '1587222267000',
  task: '0_4',
};

describe('deadLetterRecord', () => {
  it('keeps the original key, value and headers, in the partition its record came from', () => {
    const record = deadLetterRecord(
      'app-dlq',
      6,
      1_000_000,
      { key: Buffer.from('mac'), value: Buffer.from('{'), timestamp: 5, headers: { trace: 'abc' } },
      reason,
    );
    expect(record).toMatchObject({ topic: 'app-dlq', partition: 4, key: Buffer.from('mac'), timestamp: 5 });
    expect(record.value).toEqual(Buffer.from('{'));
    expect(record.headers).toEqual({
      trace: 'abc',
      'probestream.error.code': 'SERDE_DESERIALIZATION_FAILED',
      'probestream.error.class': 'SerdeError',
      'probestream.error.message': 'not JSON',
      'probestream.source.topic': 'pcap',
      'probestream.source.partition': '4',
      'probestream.source.offset': '17',
      'probestream.source.timestamp': '1587222267000',
      'probestream.task': '0_4',
    });
  });

  it('wraps the partition when the DLQ has fewer partitions than the source', () => {
    const record = deadLetterRecord(
      'app-dlq',
      3,
      1_000_000,
      { key: null, value: null, timestamp: 0 },
      reason,
    );
    expect(record.partition).toBe(1);
  });

  it('cuts a dead letter that would not fit to a prefix, saying how large the original was', () => {
    const value = Buffer.alloc(300_000, 0x61);
    const record = deadLetterRecord(
      'app-dlq',
      6,
      100_000,
      { key: Buffer.from('k'), value, timestamp: 0, headers: { big: 'x'.repeat(50_000) } },
      reason,
    );
    expect(recordSizeBound(record)).toBeLessThanOrEqual(100_000);
    expect(record.key).toEqual(Buffer.from('k'));
    expect(record.value?.length).toBeGreaterThan(99_000);
    expect(value.subarray(0, record.value?.length).equals(record.value as Buffer)).toBe(true);
    expect(record.headers).toMatchObject({
      'probestream.original.key.bytes': '1',
      'probestream.original.value.bytes': '300000',
    });
    expect(record.headers).not.toHaveProperty('big');
  });

  it('cuts a long error message, which may quote the record', () => {
    const record = deadLetterRecord(
      'app-dlq',
      1,
      1_000_000,
      { key: null, value: null, timestamp: 0 },
      {
        ...reason,
        message: 'y'.repeat(10_000),
      },
    );
    expect(record.headers?.['probestream.error.message']).toBe(`${'y'.repeat(2000)}…`);
  });
});
