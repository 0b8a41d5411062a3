/**
 * The client side of the control socket, with nothing but `node:net`, so the credential
 * plugin's warm path stays a few milliseconds. Resolves `undefined` when no daemon answers (no
 * socket, a stale socket, a refused or timed-out connection).
 */
import { connect } from 'node:net';
import { MAX_LINE_BYTES, type ControlRequest, type ControlResponse } from './protocol.js';

/** Sends one request and reads one response line. */
export function controlRequest<T extends ControlResponse = ControlResponse>(socketPath: string, request: ControlRequest, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let buffer = '';
    let settled = false;
    const settle = (value: T | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE_BYTES) return settle(undefined);
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      try {
        settle(JSON.parse(buffer.slice(0, end)) as T);
      } catch {
        settle(undefined);
      }
    });
    socket.on('error', () => settle(undefined));
    socket.on('close', () => settle(undefined));
  });
}
