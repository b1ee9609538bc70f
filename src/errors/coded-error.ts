/** Where a Kafka record is: what an error names when that record is the one that failed. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  /** The offset, as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
}

/**
 * The base of every error probestream throws on purpose. Each layer extends it with its own catalogue of
 * stable codes (documented where the catalogue is declared) and its own name; messages may change, codes do
 * not. `cause` keeps the underlying error, and `record`, when a record was being processed, names it.
 */
export class CodedError<C extends string = string> extends Error {
  override readonly name: string = 'CodedError';
  readonly code: C;
  #record: RecordPosition | undefined;

  constructor(code: C, message: string, options?: { cause?: unknown; record?: RecordPosition | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.#record = options?.record;
  }

  /** The record that was being processed, when this error stopped a task: where to look, or what to skip. */
  get record(): RecordPosition | undefined {
    return this.#record;
  }

  /** Names the record being processed when this error was thrown, unless one is named already. */
  at(record: RecordPosition): this {
    this.#record ??= record;
    return this;
  }
}
