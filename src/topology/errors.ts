import { CodedError } from '../errors/index.js';
import { serdeErrorCodes } from '../serdes/index.js';
import type { RecordMetadata } from './record.js';

/**
 * Errors of the engine. One catalogue: add a code here, with a doc saying what the caller should do next.
 * Codes are stable; messages may change.
 */
export const streamsErrorCodes = [
  // A serde's codes (src/serdes) are the engine's too: a record it cannot read goes to the DLQ.
  ...serdeErrorCodes,
  /** A timestamp extractor returned something other than a finite number >= 0. The record goes to the DLQ. */
  'INVALID_TIMESTAMP',
  /**
   * User code (a processor, mapper, predicate, aggregator or joiner) threw. The instance stops in state ERROR
   * with the record named in the message, unless processingExceptionHandler is 'dlq'. Fix the code.
   */
  'PROCESSING_FAILED',
  /** A configuration value is missing or out of range; the message names it. Fix the config. */
  'INVALID_CONFIG',
  /** A topic the topology reads or writes does not exist. Create it (probestream creates only its own). */
  'MISSING_TOPIC',
  /** Topics that are joined (or read by one sub-topology) have different partition counts. Repartition one. */
  'TOPICS_NOT_COPARTITIONED',
  /** An internal topic exists with another partition count than the topology needs. Delete it, or reset. */
  'INTERNAL_TOPIC_MISMATCH',
  /** A processor asked for a store it was not connected to. Connect it in the topology. */
  'STORE_NOT_CONNECTED',
  /** A query named a store the topology does not have, or the instance is not running. */
  'INVALID_STATE_STORE',
  /** A method was called in a state that does not allow it (start twice, query after close). */
  'ILLEGAL_STATE',
  /** Kafka refused or failed to take records or offsets at a commit. The instance stops in state ERROR. */
  'COMMIT_FAILED',
  /** A PartitionReader was used before `connect` or after `disconnect`. Connect it first. */
  'PARTITION_READER_NOT_CONNECTED',
  /** Kafka refused or failed a fetch or offset lookup, and retrying (with fresh metadata) did not help. */
  'PARTITION_READER_FETCH_FAILED',
  /** A read starts beyond the partition's end: the caller's state is ahead of the log. Rebuild it from 0. */
  'PARTITION_READER_OFFSET_BEYOND_END',
  /** The kafkajs client, the broker or the data is of a kind the reader cannot handle (Fetch v11 needed). */
  'PARTITION_READER_UNSUPPORTED',
  /**
   * The native producer (producerClient 'native') found the kafkajs client or the broker lacking what it
   * needs (kafkajs 2.2.4's internals, Produce v3). Use producerClient 'kafkajs'.
   */
  'PRODUCER_UNSUPPORTED',
  /**
   * WorkerStreams: the topology its worker thread built from the source differs from the one it was given.
   * Build both from the same function and arguments (nothing random, nothing read from the environment).
   */
  'TOPOLOGY_MISMATCH',
  /**
   * WorkerStreams: the worker thread could not start (a config or argument that cannot be copied to a
   * thread, a module that fails to load) or ended unexpectedly. The message and cause say why.
   */
  'WORKER_FAILED',
  /**
   * A record is larger than the topic it is written to takes (its max.message.bytes, or maxRequestBytes): a
   * sink's, a repartition's or a store's changelog record. Retrying fails the same way. With
   * productionExceptionHandler 'dlq' (the default) the record goes to the DLQ cut to fit, and processing goes
   * on; with 'fail' the instance stops naming the source record: skip it (`probestream skip`) or raise the
   * topic's max.message.bytes.
   */
  'RECORD_TOO_LARGE',
  /**
   * An operator told the application to pass over this record (`probestream skip`): it went to the DLQ
   * unprocessed. Nothing to do, unless it should be replayed from there.
   */
  'RECORD_SKIPPED',
] as const;

export type StreamsErrorCode = (typeof streamsErrorCodes)[number];

export class StreamsError extends CodedError<StreamsErrorCode> {
  override readonly name: string = 'StreamsError';

  constructor(
    code: StreamsErrorCode,
    message: string,
    options?: { cause?: unknown; record?: RecordMetadata | undefined },
  ) {
    super(code, message, options);
  }
}

export { SerdeError, type SerdeErrorCode } from '../serdes/index.js';

/** What was written when a record turned out too large: where it was going and its bytes. */
export interface TooLargeRecord {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  /** Its size bound in bytes, and the most the topic takes. */
  readonly bytes: number;
  readonly limit: number;
}

/** A record too large for its topic (code RECORD_TOO_LARGE); `refused` is the one that was refused. */
export class RecordTooLargeError extends StreamsError {
  override readonly name = 'RecordTooLargeError';
  readonly refused: TooLargeRecord;

  constructor(record: TooLargeRecord) {
    super(
      'RECORD_TOO_LARGE',
      `a record of ${record.bytes} bytes cannot be written to ${record.topic}, which takes at most ${record.limit}`,
    );
    this.refused = record;
  }
}

export type PartitionReaderErrorCode = Extract<StreamsErrorCode, `PARTITION_READER_${string}`>;

/** Reading a single partition failed; `code` says how. */
export class PartitionReaderError extends StreamsError {
  override readonly name = 'PartitionReaderError';

  constructor(code: PartitionReaderErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `CODE: message ← cause ← cause`, for a log line that says why. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (
    let e = error as { code?: unknown; message?: string; cause?: unknown }, depth = 0;
    e && depth < 8;
    depth++
  ) {
    const code = typeof e.code === 'string' ? `${e.code}: ` : '';
    parts.push(`${code}${e.message ?? String(e)}`);
    e = e.cause as typeof e;
  }
  return parts.join(' ← ');
}
