import type { ServerResponse } from 'node:http';
import type { ApiError, ErrorResponse } from './errors.js';

/** Sends `body` as JSON with `status`; no-store because grants and credentials change. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends an {@link ApiError} as `{ error: { code, message } }`. */
export function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorResponse = { error: { code: error.code, message: error.message } };
  sendJson(res, error.status, body, error.headers);
}
