/**
 * Why the masking engine refused a body. The broker turns any of these into a 502 `Status`:
 * a body that must be masked but cannot be is never passed through.
 */

/** Stable codes, one per way a body can be refused. */
export type MaskErrorCode =
  /** The body is not valid JSON (or not the framing the masker was asked for). */
  | 'MASK_MALFORMED'
  /** One list item, watch event, envelope member or body exceeds its size cap. */
  | 'MASK_TOO_LARGE'
  /** The JSON nests deeper than the masker can walk. */
  | 'MASK_TOO_DEEP'
  /** The masking configuration names something the engine does not know. */
  | 'MASK_CONFIG'
  /** The masker was used after it failed or ended. */
  | 'MASK_CLOSED'
  /** The engine itself failed on this body (an error no rule above names). */
  | 'MASK_INTERNAL';

/** A refusal with a stable code; the message never contains a body value. */
export class MaskError extends Error {
  override name = 'MaskError';
  readonly code: MaskErrorCode;

  constructor(code: MaskErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Any error thrown while masking, as a MaskError, so the caller refuses the body instead of
 * failing some other way. Engine limits keep their meaning (a stack overflow is `MASK_TOO_DEEP`, a
 * string too long to build `MASK_TOO_LARGE`); a foreign error keeps only its class name, because
 * its message may quote the body (JSON.parse's does).
 */
export function toMaskError(error: unknown): MaskError {
  if (error instanceof MaskError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) return new MaskError('MASK_TOO_DEEP', 'the body nests too deeply to mask', { cause: error });
  if (error instanceof RangeError && /string length|array length|allocation/i.test(error.message)) return new MaskError('MASK_TOO_LARGE', 'the body is too large to mask', { cause: error });
  const kind = error instanceof Error ? error.name : typeof error;
  return new MaskError('MASK_INTERNAL', `the masker failed (${kind})`, { cause: error });
}
