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
  | 'MASK_CLOSED';

/** A refusal with a stable code; the message never contains a body value. */
export class MaskError extends Error {
  override name = 'MaskError';
  readonly code: MaskErrorCode;

  constructor(code: MaskErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
