/**
 * Streaming upgrades the relays cannot decode, refused the same way on every transport
 * (docs/k8s-protocol.md §5.2, §5.4, §12.5). kubectl falls back from WebSocket to SPDY on any upgrade failure,
 * so allowing SPDY where WebSocket is recorded would be a bypass of masking, recording and audit:
 *
 * - SPDY/3.1 exec and attach (`POST` with `Upgrade: SPDY/3.1` or `X-Stream-Protocol-Version`) are
 *   refused with a Status telling the user kgate needs WebSocket exec (kubectl ≥ 1.30's default;
 *   `KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false` is unsupported). When the apiserver has just refused
 *   the WebSocket attempt at the same URL, that refusal is replayed instead, so kubectl shows the
 *   real reason (see refusal-memory.ts).
 * - Port-forward is relayed only over the WebSocket channel protocol (`v4.channel.k8s.io`,
 *   `v4.base64.channel.k8s.io` or none: port-forward-relay.ts), which @kubernetes/client-node's
 *   PortForward speaks. SPDY and the WebSocket tunnel of SPDY (`SPDY/3.1+portforward.k8s.io`,
 *   kubectl ≥ 1.31's default) are refused, and so is a WebSocket offering none of those protocols.
 *   For kubectl users this means `kubectl port-forward` does not work through kgate: it tries the
 *   tunnel, falls back to SPDY, and exits at once with this refusal ("error upgrading connection").
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusResponse } from '../../kube/status.js';
import type { StatusResponse } from '../../kube/status.js';
import { writeRawStatus as writeUpgradeRefusal } from '../raw-response.js';
import { offeredProtocols } from './client-handshake.js';
import { negotiatePortForwardProtocol, PORT_FORWARD_PROTOCOLS } from './port-forward-frames.js';
import type { RecentRefusals } from './refusal-memory.js';

/** The subprotocol kubectl ≥ 1.31 uses to tunnel SPDY port-forward inside a WebSocket. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

function headerList(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** Whether a request asks for a SPDY stream upgrade rather than a WebSocket. */
export function isSpdyUpgrade(req: Pick<IncomingMessage, 'headers'>): boolean {
  if (headerList(req.headers['upgrade']).some((u) => u.toLowerCase().startsWith('spdy/'))) return true;
  return req.headers['x-stream-protocol-version'] !== undefined;
}

/** Whether a WebSocket upgrade offers the SPDY port-forward tunnel. */
export function isPortForwardTunnel(req: Pick<IncomingMessage, 'headers'>): boolean {
  return headerList(req.headers['sec-websocket-protocol']).some((p) => p.toLowerCase().endsWith('portforward.k8s.io'));
}

/** Names the refused pod in the Status details, as the apiserver's own errors do. */
export interface StreamRequest {
  /** `exec`, `attach` or `portforward`. */
  subresource: string;
  pod: string;
}

/** The refusal of SPDY exec/attach. */
export function spdyRefusal(target: StreamRequest): StatusResponse {
  return statusResponse(
    403,
    'Forbidden',
    `kgate serves pods/${target.subresource} over WebSocket only, so that every session is masked and recorded, and this client asked for SPDY; ` +
      'kubectl 1.30 and later use WebSocket by default: unset KUBECTL_REMOTE_COMMAND_WEBSOCKETS (false is not supported)',
    { name: target.pod, kind: 'pods' },
  );
}

/** How a port-forward client asked, in the words of the refusal. */
function portForwardTransport(req: Pick<IncomingMessage, 'headers'>): string {
  if (isSpdyUpgrade(req)) return 'SPDY';
  if (isPortForwardTunnel(req)) return `the SPDY-over-WebSocket tunnel (${PORT_FORWARD_TUNNEL_PROTOCOL})`;
  return `WebSocket with [${offeredProtocols(req).join(' ')}]`;
}

/**
 * The refusal of port-forward over SPDY, the SPDY tunnel, or a WebSocket without a channel
 * protocol; `asked` names what the client asked for.
 */
export function portForwardRefusal(target: Pick<StreamRequest, 'pod'>, asked = 'SPDY'): StatusResponse {
  return statusResponse(
    403,
    'Forbidden',
    `kgate relays pods/portforward only over the WebSocket channel protocol (${PORT_FORWARD_PROTOCOLS.join(', ')}), so that every forwarded connection is audited, ` +
      `and this client asked for ${asked}; kubectl port-forward speaks only SPDY (tunnelled or not) and does not work through kgate: ` +
      "use a channel-protocol client such as @kubernetes/client-node's PortForward",
    { name: target.pod, kind: 'pods' },
  );
}

/** Whether a port-forward upgrade is a WebSocket the port-forward relay can frame. */
function isChannelPortForward(req: Pick<IncomingMessage, 'headers'>): boolean {
  return !isSpdyUpgrade(req) && !isPortForwardTunnel(req) && negotiatePortForwardProtocol(offeredProtocols(req)).ok;
}

/**
 * Decides whether a streaming upgrade must be refused because the relays cannot decode it:
 * exec/attach over SPDY, and port-forward over anything but the WebSocket channel protocol.
 * Undefined means "a WebSocket exec, attach or port-forward: relay it".
 */
export function unrecordableStreamRefusal(req: Pick<IncomingMessage, 'headers'>, target: StreamRequest): StatusResponse | undefined {
  if (target.subresource === 'portforward') return isChannelPortForward(req) ? undefined : portForwardRefusal(target, portForwardTransport(req));
  if (isSpdyUpgrade(req) || isPortForwardTunnel(req)) return spdyRefusal(target);
  return undefined;
}

/** What {@link refuseUnrecordableStream} needs. */
export interface UnrecordableStreamOptions extends StreamRequest {
  req: IncomingMessage;
  socket: Duplex;
  /** The canonical URL, to find the apiserver's refusal of the WebSocket attempt just before. */
  canonicalUrl: string;
  refusals?: RecentRefusals;
  log: (line: string) => void;
}

/**
 * Writes the refusal on the raw socket when the upgrade cannot be recorded (see
 * {@link unrecordableStreamRefusal}); returns whether it did. The answer is a plain HTTP
 * response, so kubectl reports it and exits instead of hanging.
 */
export function refuseUnrecordableStream(opts: UnrecordableStreamOptions): boolean {
  const refusal = unrecordableStreamRefusal(opts.req, opts);
  if (!refusal) return false;
  const replayed = opts.subresource === 'portforward' ? undefined : opts.refusals?.take(opts.canonicalUrl);
  const transport = isSpdyUpgrade(opts.req) ? 'SPDY' : 'WebSocket';
  opts.log(`exec: refused ${transport} pods/${opts.subresource} upgrade for ${opts.pod} with ${replayed ? `the apiserver's earlier ${replayed.code}` : refusal.code}`);
  writeUpgradeRefusal(opts.socket, replayed ?? refusal);
  return true;
}
