/**
 * The client's side of a relayed WebSocket (exec, attach, port-forward): its handshake is checked
 * before the apiserver is asked, so a malformed one never starts anything upstream, and it is
 * accepted only once the apiserver has switched protocols, echoing the subprotocol chosen there.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES } from './upstream.js';

const protocolHeaders = new WeakMap<IncomingMessage, string>();
const server = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  clientTracking: false,
  maxPayload: MAX_MESSAGE_BYTES,
  handleProtocols: (_offered, req) => protocolHeaders.get(req) || false,
});

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The subprotocols the client offered, in its order. */
export function offeredProtocols(req: Pick<IncomingMessage, 'headers'>): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Problems `ws` would refuse the client's handshake for; `needs` completes "… need(s) a WebSocket
 * upgrade" for a request that is not one.
 */
export function handshakeProblem(req: IncomingMessage, needs = 'pods/exec and pods/attach need'): string | undefined {
  if (req.method !== 'GET') return `a WebSocket upgrade must be a GET, not ${req.method}`;
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return `${needs} a WebSocket upgrade`;
  if (req.headers['sec-websocket-version'] !== '13') return 'unsupported Sec-WebSocket-Version (13 is required)';
  if (!WEBSOCKET_KEY.test(req.headers['sec-websocket-key'] ?? '')) return 'missing or invalid Sec-WebSocket-Key';
  if (!offeredProtocols(req).every((p) => TOKEN.test(p))) return 'invalid Sec-WebSocket-Protocol header';
  return undefined;
}

/** Completes the client's upgrade with `header` as its subprotocol; undefined when the client left. */
export function acceptClient(req: IncomingMessage, socket: Duplex, head: Buffer, header: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve(undefined);
    const onClose = (): void => resolve(undefined);
    socket.once('close', onClose);
    protocolHeaders.set(req, header);
    server.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', onClose);
      resolve(ws);
    });
  });
}
