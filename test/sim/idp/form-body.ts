import type { IncomingMessage } from 'node:http';

const FORM_LIMIT_BYTES = 16 * 1024;

/** Why a request body is not a usable HTML form post. */
export class FormBodyError extends Error {
  constructor(readonly status: 413 | 415, message: string) {
    super(message);
  }
}

/** Reads an `application/x-www-form-urlencoded` body, as an HTML form posts it. */
export async function readFormBody(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new FormBodyError(415, 'expected an application/x-www-form-urlencoded form post');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) {
      throw new FormBodyError(413, 'form body too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
