/**
 * One listener, many clusters: the daemon serves each cluster under `/clusters/<name>`, and a
 * session token only opens the cluster it was issued for. The prefix is cut off textually and
 * the rest goes to that session's pipeline, which canonicalises it like any other request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusResponse } from '../../kube/status.js';
import type { RequestContext } from '../listener/server.js';
import { sendStatus } from '../pipeline/mask.js';
import { writeRawStatus } from '../raw-response.js';
import type { ClusterSession } from '../runtime/cluster-session.js';
import { clusterPrefix } from './layout.js';

export interface Router {
  handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RequestContext): Promise<void>;
}

type Route = { ok: true; session: ClusterSession; url: string } | { ok: false; status: ReturnType<typeof statusResponse> };

/** Routes by path prefix to the session `byToken` names, after `touch` marks activity. */
export function createRouter(byToken: (token: string) => { cluster: string; session: ClusterSession } | undefined, touch: () => void): Router {
  const route = (url: string | undefined, token: string): Route => {
    touch();
    const owner = byToken(token);
    if (!owner) return { ok: false, status: statusResponse(401, 'Unauthorized', 'this kgate session has ended; kubectl asks kgate credential for a new one') };
    const prefix = clusterPrefix(owner.cluster);
    const raw = url ?? '';
    if (raw !== prefix && !raw.startsWith(`${prefix}/`) && !raw.startsWith(`${prefix}?`)) {
      return { ok: false, status: statusResponse(404, 'NotFound', `this session serves ${prefix}; check the server URL of your kubeconfig`) };
    }
    const rest = raw.slice(prefix.length);
    return { ok: true, session: owner.session, url: rest.startsWith('/') ? rest : `/${rest}` };
  };
  return {
    async handle(req, res, ctx) {
      const r = route(req.url, ctx.token);
      if (!r.ok) {
        sendStatus(res, r.status);
        return;
      }
      req.url = r.url;
      await r.session.pipeline.handle(req, res, ctx);
    },
    async upgrade(req, socket, head, ctx) {
      const r = route(req.url, ctx.token);
      if (!r.ok) {
        writeRawStatus(socket, r.status);
        return;
      }
      req.url = r.url;
      await r.session.pipeline.upgrade(req, socket, head, ctx);
    },
  };
}
