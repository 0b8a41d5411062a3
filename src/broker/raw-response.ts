/**
 * Kubernetes Status answers written straight onto a socket, for the places where no
 * `ServerResponse` exists: refused upgrade requests and requests the HTTP parser rejected.
 * client-go treats any non-101 answer to an upgrade as an upgrade failure and prints the
 * Status it carries, so these read like the apiserver's own errors.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * An HTTP answer to write on a raw socket: one of our Status responses, or an upstream
 * apiserver's refusal passed through byte for byte.
 */
export interface RawResponse {
  code: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const SAFE_HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** The bytes of a complete HTTP/1.1 response that closes the connection. */
export function rawStatusResponse(status: RawResponse): Buffer {
  const body = typeof status.body === 'string' ? Buffer.from(status.body, 'utf8') : status.body;
  const lines = [`HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}`];
  for (const [name, value] of Object.entries(status.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || !SAFE_HEADER_VALUE.test(value)) continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`, 'Cache-Control: no-cache, private', 'Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** Answers on the raw socket and closes it; a socket that can no longer be written is just destroyed. */
export function writeRawStatus(socket: Duplex, status: RawResponse): void {
  socket.on('error', () => undefined);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawStatusResponse(status));
  // A client that never reads must not keep the socket alive.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
