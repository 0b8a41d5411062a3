/**
 * Answers an upgrade request with a plain HTTP response on the raw socket instead of switching
 * protocols. client-go treats any non-101 answer as an upgrade failure and prints the Status
 * body, so a refusal here reads exactly like one from the apiserver.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** An HTTP error to write on a socket that asked to upgrade. */
export interface UpgradeRefusal {
  code: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Writes the response (with Content-Length and `Connection: close`) and ends the socket. */
export function writeUpgradeRefusal(socket: Duplex, refusal: UpgradeRefusal): void {
  socket.on('error', () => undefined);
  if (socket.destroyed || !socket.writable) return;
  const body = typeof refusal.body === 'string' ? Buffer.from(refusal.body) : refusal.body;
  const lines = [`HTTP/1.1 ${refusal.code} ${STATUS_CODES[refusal.code] ?? 'Error'}`];
  for (const [name, value] of Object.entries(refusal.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || !HEADER_VALUE.test(value)) continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${body.length}`, 'Cache-Control: no-cache, private', 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
}
