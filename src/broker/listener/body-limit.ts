/**
 * The body-size limit for bodies whose length the headers do not announce (chunked uploads).
 * A Content-Length over the limit never gets this far: the guard refuses it up front.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Raised (as a stream error) when a body passes the limit; `code` is stable. */
export class BodyTooLargeError extends Error {
  readonly code = 'KGATE_BODY_TOO_LARGE';

  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** A pass-through stream that fails with {@link BodyTooLargeError} once more than `limit` bytes went through. */
export function bodyLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(new BodyTooLargeError(limit));
      else callback(null, chunk);
    },
  });
}
