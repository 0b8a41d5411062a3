/**
 * Masks a whole JSON body held in memory (small responses: get, create, patch, delete).
 */
import { MaskError, toMaskError } from './errors.js';
import type { MaskContext, Masker } from './object-masker.js';

/** A masked body and the number of fields masked. */
export interface MaskedBody {
  body: string;
  count: number;
}

/**
 * Parses, masks and re-serialises one JSON body. The output is always the re-serialised value,
 * never the input text: a body with duplicate keys (`{"data":{…secret…},"data":{}}`) parses to
 * its last duplicate, so passing the original bytes on would leak what the parse never saw.
 * @throws MaskError `MASK_MALFORMED` when the body is not JSON; `MASK_TOO_DEEP` when it nests too deeply;
 *   any other failure of the engine as a MaskError too (see toMaskError).
 */
export function maskJsonBody(masker: Masker, body: Uint8Array | string, ctx?: MaskContext): MaskedBody {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MaskError('MASK_MALFORMED', 'response body is not valid JSON', { cause: error });
  }
  try {
    const { value, count } = masker.maskObject(parsed, ctx);
    // JSON.stringify recurses: a body the walk got through can still overflow here.
    return { body: JSON.stringify(value), count };
  } catch (error) {
    throw toMaskError(error);
  }
}
