import { CodedError } from '../errors/index.js';

/** The serdes' codes, part of the engine's catalogue too (`streamsErrorCodes`). */
export const serdeErrorCodes = [
  /**
   * A serde could not turn a value into bytes (wrong type, not in the Avro schema, a bigint or cycle in
   * JSON). A bug in the processor that produced the value: fix it, retrying will fail the same way.
   */
  'SERDE_SERIALIZATION_FAILED',
  /**
   * A serde could not read a record's bytes (invalid UTF-8 or JSON, truncated Avro, wrong length). The
   * record is poison, not the consumer: send it to the dead-letter queue and go on with the next one.
   */
  'SERDE_DESERIALIZATION_FAILED',
] as const;

export type SerdeErrorCode = (typeof serdeErrorCodes)[number];

/** A serde failed on a value or on bytes; `cause` holds the underlying error when there is one. */
export class SerdeError extends CodedError<SerdeErrorCode> {
  override readonly name: string = 'SerdeError';
}
