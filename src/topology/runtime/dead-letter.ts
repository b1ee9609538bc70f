import { recordSizeBound } from '../kafka/record-size.js';
import type { RecordHeaders, RecordMetadata } from '../record.js';
import type { OutgoingRecord } from './record-collector.js';

/** Why a record went to the DLQ, and where from: the headers every dead letter carries. */
export interface DeadLetterReason {
  readonly code: string;
  /** The error's class name (SerdeError, RecordTooLargeError, …). */
  readonly errorClass: string;
  readonly message: string;
  readonly source: RecordMetadata;
  readonly sourceTimestamp: string;
  readonly task: string;
  /** For a record that could not be written: the topic it was meant for. */
  readonly targetTopic?: string;
}

/** The bytes a dead letter is made of, before it is cut to fit. */
export interface DeadLetterContent {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers?: RecordHeaders | undefined;
}

/** An error message kept in a header is cut to this many characters: a message can quote the record. */
const MESSAGE_CHARS = 2000;

/**
 * The DLQ record for a record that failed: its key and value (the original bytes) with the reason and
 * source in `probestream.*` headers, in the partition its record came from (modulo the DLQ's count) so
 * dead letters spread as the input does. A dead letter never fails the commit it rides in: when it would
 * not fit in `maxBytes`, the original headers are dropped, then the value and, if need be, the key are cut
 * to a prefix, and `probestream.original.*` headers say what was cut.
 */
export function deadLetterRecord(
  topic: string,
  partitions: number,
  maxBytes: number,
  content: DeadLetterContent,
  reason: DeadLetterReason,
): OutgoingRecord {
  const message =
    reason.message.length > MESSAGE_CHARS ? `${reason.message.slice(0, MESSAGE_CHARS)}…` : reason.message;
  const ours: Record<string, string> = {
    'probestream.error.code': reason.code,
    'probestream.error.class': reason.errorClass,
    'probestream.error.message': message,
    'probestream.source.topic': reason.source.topic,
    'probestream.source.partition': String(reason.source.partition),
    'probestream.source.offset': reason.source.offset,
    'probestream.source.timestamp': reason.sourceTimestamp,
    'probestream.task': reason.task,
    ...(reason.targetTopic === undefined ? {} : { 'probestream.target.topic': reason.targetTopic }),
  };
  const record = {
    topic,
    partition: reason.source.partition % Math.max(1, partitions),
    key: content.key,
    value: content.value,
    timestamp: content.timestamp,
    headers: { ...content.headers, ...ours },
  };
  if (recordSizeBound(record) <= maxBytes) return record;

  // Too large as it is: keep our headers only, then cut the value, then the key, to what is left.
  const cut: Record<string, string> = {
    ...ours,
    'probestream.original.key.bytes': String(content.key?.length ?? -1),
    'probestream.original.value.bytes': String(content.value?.length ?? -1),
  };
  const room = maxBytes - recordSizeBound({ key: null, value: null, headers: cut });
  const key =
    content.key && content.key.length > room ? content.key.subarray(0, Math.max(0, room)) : content.key;
  const valueRoom = Math.max(0, room - (key?.length ?? 0));
  const value =
    content.value && content.value.length > valueRoom ? content.value.subarray(0, valueRoom) : content.value;
  return { ...record, key, value, headers: cut };
}
