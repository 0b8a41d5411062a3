import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest } from './errors.js';

/** Largest JSON body the API accepts, unless a route says otherwise. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Reads the request body as JSON, refusing anything over `limit` bytes (413, without reading the
 * rest), a content type other than JSON (415) and malformed JSON (400). An empty body is `{}`.
 */
export async function readJsonBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  return parseJsonBody(req, await readLimited(req, limit));
}

/** Parses a body already read as {@link readJsonBody} does: `{}` when empty, 415 or 400 otherwise. */
export function parseJsonBody(req: IncomingMessage, data: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const text = data.toString('utf8');
  if (text.trim() === '') return {};
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message.split('\n', 1)[0]}`, 'malformed_json');
  }
}

/** Reads a raw body (recordings) up to `limit` bytes. */
export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      // Stop reading; the response closes the connection so the client does not keep sending.
      req.pause();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'body_too_large', `The body is larger than the ${limit} bytes this endpoint accepts`, { connection: 'close' });
}
