/**
 * `GET /v1/clusters`: the clusters the caller may request a grant on, with how each is reached, so
 * `kgate clusters` can list them. A cluster no template offers the caller is not listed: the
 * policy's other clusters are none of the caller's business. Read-only; the offer is decided by the
 * same evaluator that decides requests.
 */
import { templatesFor } from '../evaluate-grant.js';
import type { Principal } from '../types.js';
import type { ClusterView, ListView } from './api.js';
import type { ServiceContext } from './context.js';
import { gatewayPath } from './routes-gateway-credentials.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';

export class ClusterRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** GET /v1/clusters */
  async list(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const offered = templatesFor(this.ctx.policy, who);
    const items: ClusterView[] = this.ctx.policy.clusters.flatMap((c) => {
      const templates = offered.filter((t) => t.clusters.includes(c.name)).map((t) => t.name);
      if (templates.length === 0) return [];
      return [{ name: c.name, type: c.type, access: c.access, ...(c.access === 'gateway' ? { gatewayPath: gatewayPath(c.name) } : {}), templates }];
    });
    const body: ListView<ClusterView> = { items };
    sendJson(rc.res, 200, body);
  }
}
