/**
 * Answers an upgrade request with a plain HTTP error instead of switching protocols. The client
 * sees a non-101 response with a Status body, which client-go treats as an upgrade failure (so
 * kubectl's WebSocket→SPDY fallback ends with this message instead of hanging).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StatusError } from '../types.js';

/** Writes the Status as an HTTP/1.1 response on the raw socket and closes it. */
export function refuseUpgrade(socket: Duplex, error: StatusError): void {
  const body = JSON.stringify(error.toStatus());
  const head = [
    `HTTP/1.1 ${error.code} ${STATUS_CODES[error.code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-cache, private',
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  if (socket.destroyed) return;
  socket.on('error', () => undefined);
  socket.end(head + body);
}
