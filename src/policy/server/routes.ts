import type { Principal } from '../types.js';
import type { ServiceContext } from './context.js';
import type { GrantLifecycle } from './grant-lifecycle.js';
import { Router, type RouteContext, type RouteHandler } from './router.js';
import { ApprovalRoutes } from './routes-approvals.js';
import { AuditRoutes } from './routes-audit.js';
import { GrantTemplateRoutes } from './routes-grant-templates.js';
import { GatewayCredentialRoutes } from './routes-gateway-credentials.js';
import { GrantRoutes } from './routes-grants.js';
import { PolicyRoutes } from './routes-policy.js';

/** The v1 API. Every route except health and readiness needs a verified bearer token. */
export function buildRouter(ctx: ServiceContext, lifecycle: GrantLifecycle, scheduleAt: (at: number) => void): Router {
  const authed = (handler: (rc: RouteContext, who: Principal) => Promise<void>): RouteHandler => async (rc) => handler(rc, await ctx.authenticate(rc.req.headers));
  const grants = new GrantRoutes(ctx, lifecycle, scheduleAt);
  const approvals = new ApprovalRoutes(ctx, lifecycle, scheduleAt);
  const audit = new AuditRoutes(ctx);
  const policy = new PolicyRoutes(ctx);
  const templates = new GrantTemplateRoutes(ctx);
  const gateway = new GatewayCredentialRoutes(ctx);
  return new Router()
    .add('GET', '/healthz', (rc) => policy.health(rc))
    .add('GET', '/readyz', (rc) => policy.ready(rc))
    .add('GET', '/v1/grant-templates', authed((rc, who) => templates.list(rc, who)))
    .add('POST', '/v1/grants', authed((rc, who) => grants.create(rc, who)))
    .add('GET', '/v1/grants', authed((rc, who) => grants.list(rc, who)))
    .add('GET', '/v1/grants/:id', authed((rc, who) => grants.show(rc, who)))
    .add('POST', '/v1/grants/:id/revoke', authed((rc, who) => grants.revoke(rc, who)))
    .add('POST', '/v1/grants/:id/credentials', authed((rc, who) => grants.credentials(rc, who)))
    .add('POST', '/v1/grants/:id/gateway-credentials', authed((rc, who) => gateway.issue(rc, who)))
    .add('POST', '/v1/gateway-credentials/:id/revoke', authed((rc, who) => gateway.revoke(rc, who)))
    .add('GET', '/v1/approvals', authed((rc, who) => approvals.list(rc, who)))
    .add('POST', '/v1/approvals', authed((rc, who) => approvals.open(rc, who)))
    .add('GET', '/v1/approvals/:id', authed((rc, who) => approvals.show(rc, who)))
    .add('POST', '/v1/approvals/:id/approve', authed((rc, who) => approvals.vote(rc, who, 'approve')))
    .add('POST', '/v1/approvals/:id/deny', authed((rc, who) => approvals.vote(rc, who, 'deny')))
    .add('POST', '/v1/audit/events', authed((rc, who) => audit.ingest(rc, who)))
    .add('GET', '/v1/audit/events', authed((rc, who) => audit.search(rc, who)))
    .add('GET', '/v1/audit/conflicts', authed((rc, who) => audit.conflicts(rc, who)))
    .add('PUT', '/v1/recordings/:id', authed((rc, who) => audit.putRecording(rc, who)))
    .add('GET', '/v1/recordings/:id', authed((rc, who) => audit.getRecording(rc, who)))
    .add('GET', '/v1/policy/rules', authed((rc, who) => policy.rules(rc, who)));
}
