/**
 * Upgrade requests on pods/exec, pods/attach and pods/portforward. Validation happens first and
 * identically for every transport, so kubectl's SPDY fallback reports the same error the
 * WebSocket attempt got. WebSocket exec/attach is served and SPDY/3.1 refused with a 400 Status
 * (the sim has no SPDY framing); port-forward has its own handler (port-forward-handler.ts).
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { StatusError, type UpgradeContext } from '../types.js';
import { CHANNEL_PROTOCOLS, negotiateChannelProtocol, offeredProtocols, type ChannelProtocol } from './channel-protocol.js';
import { internalErrorStatus } from './exec-status.js';
import { runAttach } from './attach-command.js';
import { runExec } from './exec-command.js';
import type { PodSupervisor } from './pod-supervisor.js';
import { PortForwardUpgrades } from './port-forward-handler.js';
import { chooseContainer, getPod, type ContainerSpec, type PodObject } from './pod-target.js';
import { parseStreamOptions, type StreamOptions } from './stream-options.js';
import { StreamSession } from './stream-session.js';
import { refuseUpgrade } from './upgrade-refusal.js';

type Verb = 'exec' | 'attach';

/** A validated exec/attach request, ready to be bridged. */
interface StreamTarget {
  verb: Verb;
  pod: PodObject;
  container: ContainerSpec;
  options: StreamOptions;
}

function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

function validate(ctx: UpgradeContext, supervisor: PodSupervisor): StreamTarget {
  const verb = ctx.info.subresource as Verb;
  const pod = getPod(ctx.store, ctx.info.namespace, ctx.info.name);
  const options = parseStreamOptions(ctx.query);
  const container = chooseContainer(pod, options.container);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    const action = verb === 'exec' ? 'exec into' : 'attach to';
    throw new StatusError(400, 'BadRequest', `cannot ${action} a container in a completed pod; current phase is ${phase}`);
  }
  const runner = supervisor.find(ctx.info.namespace, ctx.info.name)?.containers.get(container.name);
  if (!runner?.running) throw new StatusError(400, 'BadRequest', `container ${container.name} is not running in pod ${pod.metadata.name}`);
  if (verb === 'exec' && options.command.length === 0) throw new StatusError(400, 'BadRequest', 'you must specify at least one command for the container');
  return { verb, pod, container, options };
}

function spdyRefusal(ctx: UpgradeContext): StatusError {
  const names = CHANNEL_PROTOCOLS.map((p) => p.name).join(', ');
  return new StatusError(400, 'BadRequest', `the simulated kube-apiserver serves pods/${ctx.info.subresource} over WebSocket only (${names}); ${ctx.req.headers.upgrade ?? 'this'} upgrade is not supported`);
}

/** Owns the WebSocket server and the live sessions. */
export class StreamUpgrades {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => negotiateChannelProtocol([...offered])?.name ?? false,
  });
  private readonly live = new Set<() => unknown>();
  private readonly portForwards: PortForwardUpgrades;

  constructor(
    private readonly supervisor: PodSupervisor,
    private readonly log: (line: string) => void,
  ) {
    this.portForwards = new PortForwardUpgrades(log);
  }

  handle(ctx: UpgradeContext): void {
    ctx.socket.on('error', () => undefined);
    if (ctx.info.subresource === 'portforward') return this.portForwards.handle(ctx);
    try {
      const target = this.validateAny(ctx);
      const offered = offeredProtocols(ctx.req.headers['sec-websocket-protocol']);
      const protocol = negotiateChannelProtocol(offered);
      if (!protocol) {
        const supported = ['', ...CHANNEL_PROTOCOLS.map((p) => p.name)];
        throw new StatusError(403, 'Forbidden', `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
      }
      this.wss.handleUpgrade(ctx.req, ctx.socket, ctx.head, (ws) => void this.serve(ctx, ws, protocol, target));
    } catch (error) {
      const status = error instanceof StatusError ? error : new StatusError(500, 'InternalError', `Internal error occurred: ${String(error)}`);
      this.log(`pods: answered ${ctx.req.method} ${ctx.info.subresource} upgrade (${ctx.req.headers.upgrade ?? 'no upgrade header'}) with ${status.code}: ${status.message}`);
      refuseUpgrade(ctx.socket, status);
    }
  }

  /** Same checks for every transport, then the transport itself: only WebSocket exec/attach is served. */
  private validateAny(ctx: UpgradeContext): StreamTarget {
    const { subresource } = ctx.info;
    if (subresource !== 'exec' && subresource !== 'attach') throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const target = validate(ctx, this.supervisor);
    if (!isWebSocket(ctx.req)) throw spdyRefusal(ctx);
    return target;
  }

  async close(): Promise<void> {
    const cleanups = [...this.live];
    this.live.clear();
    await Promise.all([...cleanups.map((cleanup) => cleanup()), this.portForwards.close()]);
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async serve(ctx: UpgradeContext, ws: WebSocket, protocol: ChannelProtocol, target: StreamTarget): Promise<void> {
    const session = new StreamSession(ws, protocol, target.options, this.log);
    session.ready();
    const runner = this.supervisor.find(ctx.info.namespace, ctx.info.name)?.containers.get(target.container.name);
    const instance = runner?.current;
    if (!runner || !instance || instance.exit) {
      session.finish(internalErrorStatus(`container ${target.container.name} is not running`));
      return;
    }
    if (target.verb === 'attach') {
      const stdinOnce = target.container.stdinOnce === true;
      const detach = runAttach(session, { instance, stdin: target.options.stdin, stdinOnce });
      this.track(ws, () => (detach(), session.abort()));
      return;
    }
    const { command, stdin, tty } = target.options;
    const kill = await runExec(session, { command, cwd: runner.dir, env: instance.env, stdin, tty });
    this.track(ws, () => (session.abort(), kill()));
  }

  private track(ws: WebSocket, cleanup: () => unknown): void {
    if (ws.readyState === ws.CLOSED) return;
    this.live.add(cleanup);
    ws.once('close', () => this.live.delete(cleanup));
  }
}
