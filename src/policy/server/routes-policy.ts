/**
 * Health, readiness, and the guardrail rules + masking config a broker needs for one cluster,
 * with an ETag so brokers revalidate cheaply (If-None-Match → 304).
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../types.js';
import type { PolicyRulesView } from './api.js';
import type { ServiceContext } from './context.js';
import { badRequest, notFound, unavailable } from './errors.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';

export class PolicyRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** GET /healthz: the process serves. */
  async health(rc: RouteContext): Promise<void> {
    sendJson(rc.res, 200, { status: 'ok' });
  }

  /** GET /readyz: the policy is loaded and the store answers. */
  async ready(rc: RouteContext): Promise<void> {
    try {
      await this.ctx.store.currentSeq();
    } catch {
      throw unavailable('The store does not answer', 'not_ready');
    }
    sendJson(rc.res, 200, { status: 'ready', clusters: this.ctx.policy.clusters.map((c) => c.name) });
  }

  /** GET /v1/policy/rules?cluster=NAME */
  async rules(rc: RouteContext, _who: Principal): Promise<void> {
    checkQuery(rc.query, ['cluster']);
    const cluster = rc.query.get('cluster');
    if (!cluster) throw badRequest('cluster is required: GET /v1/policy/rules?cluster=NAME', 'invalid_query');
    if (!this.ctx.policy.clusters.some((c) => c.name === cluster)) throw notFound(`Unknown cluster ${cluster}`);
    const view: PolicyRulesView = {
      cluster,
      rules: this.ctx.policy.rules.filter((r) => !r.match.clusters?.length || r.match.clusters.includes(cluster)),
      masking: this.ctx.policy.masking,
    };
    const text = JSON.stringify(view);
    const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
    if (rc.req.headers['if-none-match'] === etag) {
      rc.res.writeHead(304, { etag, 'cache-control': 'no-cache' });
      rc.res.end();
      return;
    }
    sendJson(rc.res, 200, view, { etag, 'cache-control': 'no-cache' });
  }
}
