/**
 * The broker's port-forward relay over the WebSocket channel protocol: like exec, the client's
 * WebSocket is terminated here and a new one is opened to the apiserver with the grant's
 * credential (asked first, so its refusal reaches the client as is), and every message is decoded
 * so that only data channels travel up and the session can be audited: ports, bytes each way,
 * the apiserver's error text. The payload itself is opaque application traffic (TLS, database
 * protocols, anything): it is passed on unchanged, neither masked nor recorded, and the summary
 * says so. SPDY port-forward and kubectl's SPDY-over-WebSocket tunnel are refused (spdy.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, statusResponse } from '../../kube/status.js';
import { portForwardEndFrames } from '../../kube/stream-end.js';
import { writeRawStatus } from '../raw-response.js';
import type { RawResponse } from '../raw-response.js';
import { sendWithBackpressure } from './backpressure.js';
import { acceptClient, handshakeProblem, offeredProtocols } from './client-handshake.js';
import type { RawMessage } from './frames.js';
import { negotiatePortForwardProtocol, PortForwardChannels } from './port-forward-frames.js';
import type { PortForwardProtocol } from './port-forward-frames.js';
import { parsePortForwardTarget } from './port-forward-target.js';
import { bridgeSockets, closeSocket } from './socket-pair.js';
import { openUpstream } from './upstream.js';
import type { UpstreamTarget } from './upstream.js';

/** What {@link relayPortForward} needs for one upgrade request. */
export interface RelayPortForwardOptions {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** The canonical path and query to forward (already authorised). */
  canonicalUrl: string;
  upstream: UpstreamTarget;
  log: (line: string) => void;
  /** Called once both WebSockets are open, before any message is relayed. */
  onOpen?: () => void;
  /**
   * Aborted (reason: why, a string) when kgate ends the session (its grant ended): each port's
   * error channel says why, then both sides close.
   */
  ending?: AbortSignal;
  now?: () => Date;
}

/** One relayed port-forward session (or refused attempt), for audit. */
export interface PortForwardSessionSummary {
  subresource: 'portforward';
  namespace: string;
  pod: string;
  /** The requested ports, in order. */
  ports: number[];
  /** The framing in use; with no subprotocol offered it is `channel.k8s.io`. */
  protocol: PortForwardProtocol | '';
  startedAt: Date;
  endedAt: Date;
  /** Application bytes from the client to the pod, all ports together. */
  bytesIn: number;
  /** Application bytes from the pod to the client (port prefixes excluded). */
  bytesOut: number;
  /** Always false: port-forward payload is opaque application traffic, passed on unmasked and unrecorded. */
  masked: false;
  /** What the apiserver reported on the error channels, e.g. a refused connection inside the pod. */
  portErrors: string[];
  /** The apiserver's WebSocket close code; null when no session was opened or the client left first. */
  closeCode: number | null;
  /** The HTTP status the client got when its upgrade was refused (by the apiserver or the relay). */
  refusedWith?: number;
  error?: string;
}

/** Error-channel text kept per session, so a chatty apiserver cannot grow the audit record. */
const MAX_PORT_ERRORS = 8;
const MAX_PORT_ERROR_LENGTH = 512;

/**
 * Relays one port-forward WebSocket upgrade. Never throws: every failure becomes an HTTP Status on
 * the raw socket before the upgrade or a WebSocket close after it. Resolves with the summary once
 * both sockets are closed.
 */
export async function relayPortForward(opts: RelayPortForwardOptions): Promise<PortForwardSessionSummary> {
  const now = opts.now ?? (() => new Date());
  const { req, socket, canonicalUrl, log } = opts;
  socket.on('error', () => undefined);
  const parsed = parsePortForwardTarget(canonicalUrl);
  const target = parsed?.ok ? parsed.target : undefined;
  const startedAt = now();
  const end = (protocol: PortForwardSessionSummary['protocol'], facts: Partial<PortForwardSessionSummary>): PortForwardSessionSummary => ({
    subresource: 'portforward', namespace: target?.namespace ?? '', pod: target?.pod ?? '', ports: target?.ports ?? [], protocol, startedAt,
    bytesIn: 0, bytesOut: 0, masked: false, portErrors: [], closeCode: null, ...facts, endedAt: now(),
  });
  const refuse = (refusal: RawResponse, error: string): PortForwardSessionSummary => {
    log(`port-forward: refused the upgrade of ${target ? `${target.namespace}/${target.pod}` : 'a port-forward URL'} with ${refusal.code}: ${error}`);
    writeRawStatus(socket, refusal);
    return end('', { refusedWith: refusal.code, error });
  };

  if (!parsed) return refuse(badRequest('the port-forward relay serves only pods/portforward'), 'not a port-forward URL');
  if (!parsed.ok) return refuse(badRequest(parsed.reason), parsed.reason);
  const { ports } = parsed.target;
  const problem = handshakeProblem(req, 'pods/portforward needs');
  if (problem) return refuse(badRequest(problem), problem);
  const negotiated = negotiatePortForwardProtocol(offeredProtocols(req));
  if (!negotiated.ok) return refuse(statusResponse(403, 'Forbidden', negotiated.reason), negotiated.reason);

  const handshake = await openUpstream(opts.upstream, canonicalUrl, negotiated.header, req.headers['user-agent']);
  if (!handshake.ok) return refuse(handshake.refusal, handshake.reason);
  const upstream = handshake.ws;
  const client = await acceptClient(req, socket, opts.head, negotiated.header);
  if (!client) {
    upstream.close(1001, 'kgate: the client went away');
    return end(negotiated.protocol, { error: 'the client went away during the handshake' });
  }
  opts.onOpen?.();
  log(`port-forward: relaying ${target!.namespace}/${target!.pod} ports ${ports.join(',')} over ${negotiated.protocol}, payload unmasked`);

  const channels = new PortForwardChannels(negotiated.protocol, ports);
  const facts = { bytesIn: 0, bytesOut: 0, portErrors: [] as string[], error: undefined as string | undefined };
  const pass = (action: ReturnType<PortForwardChannels['fromClient']>, from: 'client' | 'apiserver'): boolean => {
    if (action.kind === 'drop') {
      log(`port-forward: dropped a message from the ${from}: ${action.reason}`);
      return false;
    }
    if (action.kind === 'error' && facts.portErrors.length < MAX_PORT_ERRORS) facts.portErrors.push(`port ${action.port}: ${action.text.slice(0, MAX_PORT_ERROR_LENGTH)}`);
    if (action.kind === 'forward') facts[from === 'client' ? 'bytesIn' : 'bytesOut'] += action.bytes;
    return true;
  };
  const payloadOf = (data: RawMessage): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
  let ended = false;
  const endByKgate = (): void => {
    if (ended) return;
    ended = true;
    const why = String(opts.ending?.reason);
    log(`port-forward: ending the session: ${why}`);
    const frames = portForwardEndFrames({ base64: negotiated.protocol === 'v4.base64.channel.k8s.io', ports, prefixSent: (channel) => channels.prefixSent(channel) }, why);
    for (const frame of frames) if (client.readyState === client.OPEN) client.send(frame.data, { binary: frame.isBinary });
    closeSocket(client, 1000, '');
    closeSocket(upstream, 1000, 'kgate: the session was ended');
  };
  if (opts.ending?.aborted) queueMicrotask(endByKgate);
  else opts.ending?.addEventListener('abort', endByKgate, { once: true });
  const closeCode = await bridgeSockets(client, upstream, {
    onClientMessage: (data, isBinary) => {
      if (!ended && pass(channels.fromClient(data, isBinary), 'client')) sendWithBackpressure(upstream, client, payloadOf(data), isBinary);
    },
    onUpstreamMessage: (data, isBinary) => {
      if (!ended && pass(channels.fromUpstream(data, isBinary), 'apiserver')) sendWithBackpressure(client, upstream, payloadOf(data), isBinary);
    },
    noteError: (error) => {
      facts.error ??= error;
    },
  });
  opts.ending?.removeEventListener('abort', endByKgate);
  const { error, ...counted } = facts;
  return end(negotiated.protocol, { ...counted, closeCode, ...(error ? { error } : {}) });
}
