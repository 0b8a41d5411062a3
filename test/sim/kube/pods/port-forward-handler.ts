/**
 * Upgrade requests on pods/portforward. Only the WebSocket channel protocol is served; SPDY/3.1
 * and kubectl's SPDY-over-WebSocket tunnel (`SPDY/3.1+portforward.k8s.io`) are refused with a 400
 * Status, because the sim has no SPDY framing.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { StatusError, type UpgradeContext } from '../types.js';
import { offeredProtocols } from './channel-protocol.js';
import { checkDeclaredPorts, negotiatePortForwardProtocol, parsePorts, PORT_FORWARD_PROTOCOLS } from './port-forward-options.js';
import { servePortForward } from './port-forward.js';
import { getPod } from './pod-target.js';
import { refuseUpgrade } from './upgrade-refusal.js';

function isChannelWebSocket(req: IncomingMessage): boolean {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  return !offeredProtocols(req.headers['sec-websocket-protocol']).some((p) => p.toLowerCase().startsWith('spdy/'));
}

/** Owns the port-forward WebSocket server and the live sessions. */
export class PortForwardUpgrades {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => negotiatePortForwardProtocol([...offered])?.name ?? false,
  });
  private readonly live = new Set<Promise<void>>();

  constructor(private readonly log: (line: string) => void) {}

  handle(ctx: UpgradeContext): void {
    try {
      const { namespace, name } = ctx.info;
      const pod = getPod(ctx.store, namespace, name);
      if (!isChannelWebSocket(ctx.req)) throw new StatusError(400, 'BadRequest', 'the simulated kube-apiserver serves port forwarding only over the WebSocket channel protocol, not SPDY');
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') throw new StatusError(400, 'BadRequest', `cannot port-forward to a completed pod; current phase is ${phase}`);
      const ports = parsePorts(ctx.query);
      checkDeclaredPorts(pod, ports);
      const offered = offeredProtocols(ctx.req.headers['sec-websocket-protocol']);
      const protocol = negotiatePortForwardProtocol(offered);
      if (!protocol) {
        const supported = ['', ...PORT_FORWARD_PROTOCOLS.map((p) => p.name)];
        throw new StatusError(403, 'Forbidden', `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
      }
      this.wss.handleUpgrade(ctx.req, ctx.socket, ctx.head, (ws) => {
        this.log(`pods: forwarding ${namespace}/${name} ports ${ports.join(',')} over ${protocol.name || 'channel.k8s.io'}`);
        const session = servePortForward(ws, protocol, pod, ports, this.log);
        this.live.add(session);
        void session.then(() => this.live.delete(session));
      });
    } catch (error) {
      const status = error instanceof StatusError ? error : new StatusError(500, 'InternalError', `Internal error occurred: ${String(error)}`);
      this.log(`pods: answered ${ctx.req.method} portforward upgrade (${ctx.req.headers.upgrade ?? 'no upgrade header'}) with ${status.code}: ${status.message}`);
      refuseUpgrade(ctx.socket, status);
    }
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await Promise.all([...this.live]);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
