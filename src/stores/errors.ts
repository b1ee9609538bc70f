import { CodedError } from '../errors/index.js';
/**
 * Errors of the stores layer. Codes are stable; messages may change. Bad arguments from a programmer (a key
 * that is not a Buffer, a missing value) throw TypeError instead: they are bugs, not conditions to handle.
 */
export const storeErrorCodes = [
  /**
   * An operation on a store that is not open: it was closed, or its init failed. Includes an iteration
   * still in progress when the store closed. A bug in the caller's lifecycle: do not retry.
   */
  'STORE_NOT_OPEN',
  /**
   * A persistent store could not open its data, for example because another process holds its lock. The
   * cause carries the underlying error. Retrying may succeed once the other holder lets go.
   */
  'STORE_OPEN_FAILED',
  /**
   * A persistent store failed to read or write its data on disk. The cause carries the underlying error.
   * The store's contents can no longer be trusted: close it and restore it from its changelog.
   */
  'STORE_IO_FAILED',
] as const;

export type StoreErrorCode = (typeof storeErrorCodes)[number];

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name: string = 'StoreError';
}
