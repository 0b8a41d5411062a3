/**
 * The daemon's control socket: a Unix socket in the 0700 broker directory, itself 0600, so only
 * the user who owns the daemon can ask it for tokens. One JSON request line, one response line.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { MAX_LINE_BYTES, type ControlRequest, type ControlResponse } from './protocol.js';

export interface ControlServer {
  close(): Promise<void>;
}

function badRequest(message: string): ControlResponse {
  return { ok: false, code: 'KGATE_CONTROL_BAD_REQUEST', message, exit: 2, suggestions: [] };
}

/** Listens on `path` (replacing a stale socket file) and answers each request with `handle`. */
export async function startControlServer(path: string, handle: (request: ControlRequest) => Promise<ControlResponse>, log: (line: string) => void): Promise<ControlServer> {
  await rm(path, { force: true });
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    const answer = (response: ControlResponse) => {
      if (!socket.destroyed) socket.end(JSON.stringify(response) + '\n');
    };
    const onData = (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE_BYTES) {
        socket.off('data', onData);
        return answer(badRequest('request too large'));
      }
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onData);
      let request: ControlRequest;
      try {
        request = JSON.parse(buffer.slice(0, end)) as ControlRequest;
      } catch {
        return answer(badRequest('request is not JSON'));
      }
      if (!request || typeof request !== 'object' || typeof request.op !== 'string') return answer(badRequest('request has no op'));
      handle(request).then(answer, (error: Error) => {
        log(`control: ${request.op} failed (${error.message})`);
        answer({ ok: false, code: 'KGATE_INTERNAL', message: error.message, exit: 1, suggestions: [] });
      });
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
