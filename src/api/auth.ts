import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

/**
 * Bearer-token checks for the write routes. Tokens are compared as SHA-256 digests with timingSafeEqual, so
 * neither the token's content nor its length shows in how long a refusal takes.
 */
export class BearerAuth {
  readonly #digest: Buffer;

  constructor(token: string) {
    if (token.length === 0) throw new TypeError('apiToken must not be empty');
    this.#digest = digest(token);
  }

  /** Throws ApiError UNAUTHORIZED unless `authorization` is `Bearer <token>` (the scheme in any case). */
  check(authorization: string | undefined): void {
    const match = /^Bearer +(\S.*?) *$/i.exec(authorization ?? '');
    const given = match?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), this.#digest)) {
      throw new ApiError(
        'UNAUTHORIZED',
        given === undefined ? 'this route needs Authorization: Bearer <token>' : 'the bearer token is wrong',
        { headers: { 'WWW-Authenticate': 'Bearer realm="probestream"' } },
      );
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
