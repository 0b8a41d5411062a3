/**
 * The lifetime of a relayed pair of WebSockets (client and apiserver), whatever they carry: each
 * side's close is passed to the other with a code it may send, a side that does not finish its
 * closing handshake in time is terminated, and the pair is over only when both are closed.
 */
import type { WebSocket } from 'ws';
import { closeToForward } from './frames.js';
import type { RawMessage } from './frames.js';

/** After one side closed, how long the other gets to finish its closing handshake. */
const CLOSE_GRACE_MS = 5_000;

/** Closes `ws` unless it is already closing or closed. */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(code, reason);
}

/** What the traffic of a pair is handed to. */
export interface SocketPairHandlers {
  onClientMessage(data: RawMessage, isBinary: boolean): void;
  onUpstreamMessage(data: RawMessage, isBinary: boolean): void;
  /** Called when the apiserver's socket closed, before its close is passed to the client. */
  onUpstreamClose?(code: number): void;
  /** Receives connection errors and abnormal ends, first one worth keeping first. */
  noteError(error: string): void;
}

/**
 * Wires `client` and `upstream` (opened paused, upstream.ts) to `handlers`, resumes the upstream
 * and resolves with the apiserver's close code (null when the client left first and the apiserver
 * never closed on its own) once both sockets are closed.
 */
export function bridgeSockets(client: WebSocket, upstream: WebSocket, handlers: SocketPairHandlers): Promise<number | null> {
  let clientClosed = false;
  let upstreamClosed = false;
  let closeCode: number | null = null;
  return new Promise((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const maybeDone = (): void => {
      if (clientClosed && upstreamClosed) {
        clearTimeout(graceTimer);
        resolve(closeCode);
        return;
      }
      graceTimer ??= setTimeout(() => {
        if (!clientClosed) client.terminate();
        if (!upstreamClosed) upstream.terminate();
      }, CLOSE_GRACE_MS);
      graceTimer.unref();
    };

    upstream.on('message', handlers.onUpstreamMessage);
    client.on('message', handlers.onClientMessage);
    upstream.on('error', (error) => handlers.noteError(`apiserver connection: ${error.message}`));
    client.on('error', (error) => handlers.noteError(`client connection: ${error.message}`));
    upstream.on('close', (code, reason) => {
      upstreamClosed = true;
      closeCode = code;
      handlers.onUpstreamClose?.(code);
      if (code !== 1000 && code !== 1005 && !clientClosed) handlers.noteError(`the apiserver closed the session with code ${code}`);
      const forward = closeToForward(code, reason.toString('utf8'));
      // A socket paused for backpressure must be read again to finish its closing handshake.
      if (client.isPaused) client.resume();
      closeSocket(client, forward.code, forward.reason);
      maybeDone();
    });
    client.on('close', (code, reason) => {
      clientClosed = true;
      const forward = closeToForward(code, reason.toString('utf8'), 1001);
      if (upstream.isPaused) upstream.resume();
      closeSocket(upstream, forward.code, forward.reason);
      maybeDone();
    });
    upstream.resume();
  });
}
