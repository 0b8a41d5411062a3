/**
 * Masks a whole JSON body held in memory (small responses: get, create, patch, delete).
 */
import { MaskError } from './errors.js';
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
 * @throws MaskError `MASK_MALFORMED` when the body is not JSON; `MASK_TOO_DEEP` when it nests too deeply.
 */
export function maskJsonBody(masker: Masker, body: Uint8Array | string, ctx?: MaskContext): MaskedBody {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MaskError('MASK_MALFORMED', 'response body is not valid JSON', { cause: error });
  }
  const { value, count } = masker.maskObject(parsed, ctx);
  return { body: JSON.stringify(value), count };
}
