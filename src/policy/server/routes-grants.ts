/**
 * `/v1/grants`: request (decideGrant → denied 403 / active 201 / pending 201 + approval), list,
 * show with long-poll, revoke, and credentials for the owner of an active grant.
 */
import { decideGrant } from '../evaluate-grant.js';
import { tryParseDuration } from '../duration.js';
import type { Grant, GrantState, Principal } from '../types.js';
import { principalId } from '../types.js';
import { canRevokeGrant, canSeeGrant, isOwner } from './access.js';
import { grantView, type GrantView, type ListView } from './api.js';
import { readJsonBody } from './body.js';
import { grantKey } from './change-feed.js';
import type { ServiceContext } from './context.js';
import { badRequest, conflict, forbidden, notFound } from './errors.js';
import { mapError } from './error-mapping.js';
import type { GrantLifecycle } from './grant-lifecycle.js';
import { ID_PATTERN, newId } from './grant-ids.js';
import { bool, list, object, optional, parseBody, required, str } from './input-schema.js';
import { checkQuery, waitRequest } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';
import { accessOf } from './routes-gateway-credentials.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = (what: string) => str({ max: 63, pattern: NAME, what: `a ${what} (lowercase letters, digits and '-')` });

const grantRequestSchema = object({
  cluster: required(dnsName('cluster name')),
  grant: required(dnsName('grant template name')),
  namespaces: optional(list(dnsName('namespace name'), { max: 50 })),
  ttl: optional(str({ max: 20, pattern: /^(\d+(ms|s|m|h|d))+$/, what: 'a duration like 30m or 1h' })),
  reason: optional(str({ max: 1000 })),
  breakGlass: optional(bool()),
});

const revokeSchema = object({ reason: optional(str({ max: 1000 })) });

const GRANT_STATES: GrantState[] = ['pending', 'active', 'denied', 'expired', 'revoked'];

export class GrantRoutes {
  constructor(private readonly ctx: ServiceContext, private readonly lifecycle: GrantLifecycle, private readonly scheduleApproval: (at: number) => void) {}

  /** POST /v1/grants */
  async create(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const body = parseBody(grantRequestSchema, await readJsonBody(rc.req));
    // The schema admits only well-formed durations; one too long to count is above every maxTTL,
    // never "no TTL asked" (which would be the template's default).
    const ttlMs = body.ttl === undefined ? undefined : tryParseDuration(body.ttl) ?? Number.POSITIVE_INFINITY;
    if (ttlMs !== undefined && ttlMs <= 0) throw badRequest('ttl must be longer than zero', 'invalid_field');
    const { policy, store, log, now } = this.ctx;
    const decision = decideGrant(policy, who, { cluster: body.cluster, grant: body.grant, namespaces: body.namespaces, ttlMs, reason: body.reason, breakGlass: body.breakGlass });
    if (decision.outcome === 'denied') {
      log.info({ principal: principalId(who), cluster: body.cluster, template: body.grant }, 'grant denied');
      await this.ctx.audit.record({ verb: 'create', resource: 'grants', name: body.grant, actor: who, cluster: body.cluster, decision: 'denied', reason: decision.message });
      throw forbidden(decision.message, 'denied');
    }
    const grant: Grant = {
      id: newId(),
      state: 'pending',
      principal: who,
      cluster: decision.cluster.name,
      template: decision.template.name,
      clusterRole: decision.template.clusterRole,
      namespaces: decision.namespaces,
      ttlMs: decision.ttlMs,
      ...(decision.reason ? { reason: decision.reason } : {}),
      breakGlass: decision.breakGlass,
      createdAt: now(),
      ...(decision.outcome === 'pending' && decision.approval ? { approval: decision.approval } : {}),
      revision: 1,
    };
    if (decision.outcome === 'pending' && decision.approval) {
      const rule = decision.approval;
      // Approvers' attention is finite: one principal may keep only so many requests waiting.
      const { stored, approvalId } = await this.ctx.admission.pendingRequest(who, async () => {
        const created = await this.createAudited(grant, who, decision.outcome);
        const approval = await store.createApproval({
          id: newId(), kind: 'grant', state: 'pending', requester: who, cluster: grant.cluster, rule,
          grantId: grant.id, votes: [], createdAt: now(), expiresAt: now() + rule.expiresAfterMs, revision: 1,
        });
        this.scheduleApproval(approval.expiresAt);
        log.info({ grant: grant.id, approval: approval.id, principal: principalId(who), approvers: rule.groups, count: rule.count }, 'grant waiting for approval');
        return { stored: created, approvalId: approval.id };
      });
      sendJson(rc.res, 201, this.view(stored, approvalId));
      return;
    }
    const active = await this.lifecycle.activate(await this.createAudited(grant, who, decision.outcome));
    sendJson(rc.res, 201, this.view(active));
  }

  /** Stores a new grant and audits its creation. */
  private async createAudited(grant: Grant, who: Principal, outcome: 'active' | 'pending'): Promise<Grant> {
    const stored = await this.ctx.store.createGrant(grant);
    await this.ctx.audit.record({ verb: 'create', resource: 'grants', name: grant.id, actor: who, cluster: grant.cluster, grant: grant.id, decision: outcome, reason: grant.reason, breakGlass: grant.breakGlass });
    if (grant.breakGlass) {
      this.ctx.log.warn({ grant: grant.id, principal: principalId(who), cluster: grant.cluster, role: grant.clusterRole, namespaces: grant.namespaces, reason: grant.reason }, 'BREAK-GLASS grant requested: access without approval');
    }
    return stored;
  }

  /** GET /v1/grants?state=&cluster=&mine=true — own grants, plus those the caller governs. */
  async list(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['state', 'cluster', 'mine']);
    const states = (rc.query.get('state') ?? '').split(',').filter(Boolean);
    for (const s of states) if (!GRANT_STATES.includes(s as GrantState)) throw badRequest(`state: expected one of ${GRANT_STATES.join(', ')}, got ${JSON.stringify(s)}`, 'invalid_query');
    const cluster = rc.query.get('cluster') ?? undefined;
    const mine = rc.query.get('mine') === 'true';
    const items: Grant[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ctx.store.listGrants({ state: states as GrantState[], cluster, principal: mine ? principalId(who) : undefined, limit: 1000, cursor });
      items.push(...page.items.filter((g) => canSeeGrant(this.ctx.policy, g, who)));
      cursor = items.length >= 1000 ? undefined : page.nextCursor;
    } while (cursor);
    const approvals = new Map((await this.ctx.store.listApprovals({ kind: 'grant', state: 'pending' })).map((a) => [a.grantId, a.id]));
    const body: ListView<GrantView> = { items: items.map((g) => this.view(g, approvals.get(g.id))) };
    sendJson(rc.res, 200, body);
  }

  /** GET /v1/grants/:id[?wait=30s&revision=N] */
  async show(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['wait', 'revision']);
    const wait = waitRequest(rc.query);
    const first = await this.visible(rc.params.id!, who);
    const grant = wait
      ? (await this.ctx.feed.waitFor(grantKey(first.id), () => this.ctx.store.getGrant(first.id), (g) => !g || g.revision > wait.revision, wait.waitMs, rc.signal)) ?? first
      : first;
    const approval = grant.state === 'pending' ? (await this.ctx.store.listApprovals({ grant: grant.id })).find((a) => a.state === 'pending') : undefined;
    sendJson(rc.res, 200, this.view(grant, approval?.id));
  }

  /** POST /v1/grants/:id/revoke {reason?} — owner, approvers, break-glass group. */
  async revoke(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const body = parseBody(revokeSchema, await readJsonBody(rc.req));
    const grant = await this.visible(rc.params.id!, who);
    if (!canRevokeGrant(this.ctx.policy, grant, who)) throw forbidden(`You may not revoke grant ${grant.id}`);
    sendJson(rc.res, 200, this.view(await this.lifecycle.revoke(grant, who, body.reason)));
  }

  /** POST /v1/grants/:id/credentials — only the owner, only while active. */
  async credentials(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    parseBody(object({}), await readJsonBody(rc.req));
    const grant = await this.find(rc.params.id!);
    // Whoever asks, owner included: a gateway cluster's credential never leaves the service.
    if (accessOf(this.ctx, grant.cluster) === 'gateway') {
      throw forbidden(`Cluster ${grant.cluster} is served through the kgate gateway (access: gateway): its cluster credential never leaves the policy service. Use a gateway credential instead (kgate exec, kgate kubeconfig add, or POST /v1/grants/${grant.id}/gateway-credentials)`, 'gateway_mode');
    }
    if (!isOwner(grant, who)) throw forbidden(`Only the owner of grant ${grant.id} may get its credentials`);
    if (grant.state !== 'active' || (grant.expiresAt ?? 0) <= this.ctx.now()) {
      throw conflict(`Grant ${grant.id} is ${grant.state === 'active' ? 'expired' : grant.state}; credentials exist only while it is active`, 'grant_not_active');
    }
    const credential = await this.ctx.adapterFor(grant.cluster).credential(grant).catch((error: unknown) => {
      throw mapError(error);
    });
    this.ctx.log.info({ grant: grant.id, principal: principalId(who), expiresAt: new Date(credential.expiresAt).toISOString() }, 'credential issued');
    sendJson(rc.res, 200, credential);
  }

  private view(grant: Grant, approvalId?: string): GrantView {
    return { ...grantView(grant, approvalId), access: accessOf(this.ctx, grant.cluster) };
  }

  private async find(id: string): Promise<Grant> {
    if (!ID_PATTERN.test(id)) throw notFound(`No grant ${JSON.stringify(id)}`);
    const grant = await this.ctx.store.getGrant(id);
    if (!grant) throw notFound(`No grant ${id}`);
    return grant;
  }

  private async visible(id: string, who: Principal): Promise<Grant> {
    const grant = await this.find(id);
    if (!canSeeGrant(this.ctx.policy, grant, who)) throw forbidden(`Grant ${id} is not yours, and you are not one of its approvers`);
    return grant;
  }
}
