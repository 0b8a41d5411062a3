/**
 * `GET /v1/grant-templates[?cluster=NAME]`: the grant templates the caller may request, so an
 * interactive client (`kgate session`) can offer a choice instead of making people guess names.
 * Read-only; who may request what is decided by the same evaluator that decides requests.
 */
import { templatesFor } from '../evaluate-grant.js';
import type { GrantTemplate, Principal } from '../types.js';
import type { GrantTemplateView, ListView } from './api.js';
import type { ServiceContext } from './context.js';
import { accessOf } from './routes-gateway-credentials.js';
import { notFound } from './errors.js';
import { checkQuery } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';

function templateView(t: GrantTemplate, ctx: ServiceContext): GrantTemplateView {
  // A template with break-glass but no approval rule is break-glass only: every request needs a reason.
  const breakGlassOnly = t.breakGlass !== undefined && t.approval === undefined;
  return {
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    clusters: t.clusters,
    access: Object.fromEntries(t.clusters.map((c) => [c, accessOf(ctx, c)])),
    clusterRole: t.clusterRole,
    namespaces: t.namespaces,
    defaultTtlMs: t.defaultTtlMs,
    maxTtlMs: t.maxTtlMs,
    ...(t.approval ? { approval: { groups: t.approval.groups, count: t.approval.count } } : {}),
    reasonRequired: t.reasonRequired || breakGlassOnly,
    breakGlassOnly,
  };
}

export class GrantTemplateRoutes {
  constructor(private readonly ctx: ServiceContext) {}

  /** GET /v1/grant-templates[?cluster=NAME] */
  async list(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['cluster']);
    const cluster = rc.query.get('cluster') || undefined;
    if (cluster !== undefined && !this.ctx.policy.clusters.some((c) => c.name === cluster)) throw notFound(`Unknown cluster ${cluster}`);
    const items = templatesFor(this.ctx.policy, who).filter((t) => cluster === undefined || t.clusters.includes(cluster));
    const body: ListView<GrantTemplateView> = { items: items.map((t) => templateView(t, this.ctx)) };
    sendJson(rc.res, 200, body);
  }
}
