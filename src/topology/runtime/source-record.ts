import { StreamsError } from '../errors.js';
import type { RecordHeaders, RecordMetadata, StreamRecord } from '../record.js';
import { recordTimestamp } from '../record.js';
import type { SourceNode } from '../topology.js';

/** A record as it comes from Kafka, before deserialization. */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch milliseconds, as kafkajs gives it. */
  readonly timestamp: string;
  readonly offset: string;
  readonly headers?: RecordHeaders;
}

/** `topic-partition@offset`, as errors name a record. */
export function describe(metadata: RecordMetadata): string {
  return `${metadata.topic}-${metadata.partition}@${metadata.offset}`;
}

/**
 * A source node's record: key and value through its serdes, event time from its timestamp extractor.
 * Throws SerdeError for bytes the serdes cannot read, INVALID_TIMESTAMP for a time that is not one.
 */
export function readSourceRecord(
  node: SourceNode,
  topic: string,
  raw: RawRecord,
  metadata: RecordMetadata,
): StreamRecord<unknown, unknown> {
  const key = raw.key === null ? null : node.keySerde.deserialize(raw.key, topic);
  const value = raw.value === null ? null : node.valueSerde.deserialize(raw.value, topic);
  const headers = raw.headers ?? {};
  const timestamp =
    node.timestampExtractor === recordTimestamp
      ? Number(raw.timestamp)
      : node.timestampExtractor({ key, value, timestamp: Number(raw.timestamp), headers }, metadata);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    throw new StreamsError(
      'INVALID_TIMESTAMP',
      `the timestamp extractor of ${node.name} returned ${String(timestamp)} for ${describe(metadata)}`,
    );
  }
  return { key, value, timestamp, headers };
}
