import { ApiError } from './errors.js';

/**
 * Paging cursors: opaque to clients, they carry the last key of the previous page (base64url of its UTF-8),
 * so that a page starts after it whatever was added or removed in between.
 */

/** The longest cursor accepted; keys are MACs, names or SSIDs, far shorter than this. */
export const MAX_CURSOR_LENGTH = 2048;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key a cursor carries; ApiError INVALID_CURSOR when it is not one that encodeCursor wrote. */
export function decodeCursor(cursor: string): string {
  const invalid = () => new ApiError('INVALID_CURSOR', 'the cursor is not one this API returned');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid();
  }
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the canonical encoding of a key: anything else was made up or mangled on the way.
  if (bytes.length === 0 || bytes.toString('base64url') !== cursor) throw invalid();
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid();
  }
}
