/**
 * `/v1/approvals`: list what the caller may decide, show (long-poll), vote, and open an approval
 * for one API request a broker holds. Votes go through checkApprover (no self-approval, approver
 * groups); the store settles them atomically (one vote per approver, closed approvals refuse).
 */
import { checkApprover } from '../evaluate-grant.js';
import { MAX_HELD_BODY_BYTES, MAX_HELD_CONTENT_TYPE_LENGTH, MAX_HELD_URL_LENGTH } from '../held-request.js';
import type { Approval, Principal } from '../types.js';
import { principalId } from '../types.js';
import { isApproverOf, isRequester } from './access.js';
import { approvalView, type ApprovalView, type ListView } from './api.js';
import { readJsonBody } from './body.js';
import { approvalKey } from './change-feed.js';
import type { ServiceContext } from './context.js';
import { badRequest, conflict, forbidden, notFound } from './errors.js';
import type { GrantLifecycle } from './grant-lifecycle.js';
import { ID_PATTERN } from './grant-ids.js';
import { enumOf, object, optional, parseBody, required, str } from './input-schema.js';
import { checkQuery, waitRequest } from './long-poll.js';
import { sendJson } from './respond.js';
import type { RouteContext } from './router.js';
import { heldRequestView, openRequestApproval, requesterKey } from './request-approvals.js';

const STATES = ['pending', 'approved', 'denied', 'expired'];

const voteSchema = (reasonRequired: boolean) => object({ reason: reasonRequired ? required(str({ max: 1000 })) : optional(str({ max: 1000 })) });

/** Base64 of the largest held body. */
const HELD_BODY_BASE64_LENGTH = Math.ceil(MAX_HELD_BODY_BYTES / 3) * 4;
/** `POST /v1/approvals` takes a held body in base64, its URL and a little more. */
const OPEN_BODY_LIMIT = HELD_BODY_BASE64_LENGTH + MAX_HELD_URL_LENGTH + 16 * 1024;

const requestApprovalSchema = object({
  cluster: required(str({ max: 63, pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, what: 'a cluster name' })),
  // The held request exactly as the gate would forward it; checkHeldRequest checks the rest.
  request: required(object({
    method: required(enumOf(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])),
    url: required(str({ max: MAX_HELD_URL_LENGTH, pattern: /^\/\S*$/, what: 'the canonical request target' })),
    contentType: optional(str({ max: MAX_HELD_CONTENT_TYPE_LENGTH })),
    // Bounded by the route's limit here; a body over MAX_HELD_BODY_BYTES is a 413 from checkHeldRequest.
    body: optional(str({ max: OPEN_BODY_LIMIT, pattern: /^[A-Za-z0-9+/]*={0,2}$/, what: 'the body bytes in base64' })),
  })),
  rule: required(str({ max: 253 })),
});

export class ApprovalRoutes {
  constructor(private readonly ctx: ServiceContext, private readonly lifecycle: GrantLifecycle, private readonly scheduleApproval: (at: number) => void) {}

  /**
   * GET /v1/approvals?state=pending|…&mine=true[&wait=25s&known=ID,…] — those the caller may
   * decide, or with `mine` the ones the caller opened. With `wait` (and `mine`), answers once the
   * list differs from the `known` ids: how `kgate exec` learns at once that a request is held.
   */
  async list(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['state', 'mine', 'wait', 'known']);
    const state = rc.query.get('state') ?? undefined;
    if (state !== undefined && !STATES.includes(state)) throw badRequest(`state: expected one of ${STATES.join(', ')}`, 'invalid_query');
    const mine = rc.query.get('mine') === 'true';
    const wait = waitRequest(rc.query);
    if (wait && !mine) throw badRequest('wait: only with mine=true', 'invalid_query');
    const read = async () => {
      const all = await this.ctx.store.listApprovals(state ? { state: state as Approval['state'] } : {});
      return all.filter((a) => (mine ? isRequester(a, who) : isApproverOf(a, who) && !isRequester(a, who)));
    };
    const known = (rc.query.get('known') ?? '').split(',').filter(Boolean).sort().join(',');
    const changed = (items: Approval[]) => items.map((a) => a.id).sort().join(',') !== known;
    const items = wait ? await this.ctx.feed.waitFor(requesterKey(principalId(who)), read, changed, wait.waitMs, rc.signal) : await read();
    // Approvers see each held request in full (its body only in the single view); requesters never.
    const views = await Promise.all(items.map(async (a) => approvalView(a, mine ? undefined : await heldRequestView(this.ctx, a, who, { withBody: false }))));
    const body: ListView<ApprovalView> = { items: views };
    sendJson(rc.res, 200, body);
  }

  /**
   * GET /v1/approvals/:id[?wait=30s&revision=N] — with `detail`, the held request exactly as it
   * will be forwarded, only for a caller who may decide it while it is pending.
   */
  async show(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, ['wait', 'revision']);
    const wait = waitRequest(rc.query);
    const first = await this.visible(rc.params.id!, who);
    const approval = wait
      ? (await this.ctx.feed.waitFor(approvalKey(first.id), () => this.ctx.store.getApproval(first.id), (a) => !a || a.revision > wait.revision, wait.waitMs, rc.signal)) ?? first
      : first;
    sendJson(rc.res, 200, approvalView(approval, await heldRequestView(this.ctx, approval, who, { withBody: true })));
  }

  /** POST /v1/approvals/:id/approve|deny {reason} */
  async vote(rc: RouteContext, who: Principal, decision: 'approve' | 'deny'): Promise<void> {
    checkQuery(rc.query, []);
    const body = parseBody(voteSchema(decision === 'deny'), await readJsonBody(rc.req));
    const approval = await this.find(rc.params.id!);
    const { now, store, log } = this.ctx;
    if (approval.state !== 'pending') throw conflict(`Approval ${approval.id} is already ${approval.state}`, 'approval_closed');
    if (approval.expiresAt <= now()) {
      await this.expireNow();
      throw conflict(`Approval ${approval.id} expired at ${new Date(approval.expiresAt).toISOString()}`, 'approval_closed');
    }
    const allowed = checkApprover(approval.rule, who, approval.requester);
    if (!allowed.ok) throw forbidden(allowed.message, 'not_an_approver');
    const updated = await store.addVote(approval.id, { approver: who, decision, ...(body.reason ? { reason: body.reason } : {}), at: now() }, { requiredCount: approval.rule.count, now: now() });
    this.ctx.feed.notify(approvalKey(approval.id));
    this.ctx.feed.notify(requesterKey(principalId(approval.requester)));
    log.info({ approval: approval.id, grant: approval.grantId, approver: principalId(who), decision, state: updated.state }, 'approval vote');
    await this.ctx.audit.record({ verb: decision, resource: 'approvals', name: approval.id, actor: who, cluster: approval.cluster, grant: approval.grantId, approval: approval.id, decision: updated.state, reason: body.reason });
    await this.settle(updated, who, body.reason);
    sendJson(rc.res, 200, approvalView((await store.getApproval(approval.id)) ?? updated));
  }

  /** POST /v1/approvals {cluster, request: {method, url, contentType, body}, rule} — a broker holding one API request. */
  async open(rc: RouteContext, who: Principal): Promise<void> {
    checkQuery(rc.query, []);
    const body = parseBody(requestApprovalSchema, await readJsonBody(rc.req, OPEN_BODY_LIMIT));
    sendJson(rc.res, 201, approvalView(await openRequestApproval(this.ctx, who, body, this.scheduleApproval)));
  }

  /** Carries a settled approval over to its grant. */
  private async settle(approval: Approval, who: Principal, reason?: string): Promise<void> {
    if (approval.kind !== 'grant' || !approval.grantId) return;
    if (approval.state === 'denied') {
      await this.lifecycle.settleUnapproved(approval.grantId, 'denied', `Denied by ${who.name}${reason ? `: ${reason}` : ''}`, principalId(who));
    } else if (approval.state === 'approved') {
      const grant = await this.ctx.store.getGrant(approval.grantId);
      if (grant?.state === 'pending') await this.lifecycle.activate(grant);
    }
  }

  private async expireNow(): Promise<void> {
    for (const expired of await this.ctx.store.expireApprovals(this.ctx.now())) {
      this.ctx.feed.notify(approvalKey(expired.id));
      if (expired.kind === 'grant' && expired.grantId) await this.lifecycle.settleUnapproved(expired.grantId, 'expired', 'No decision before the approval expired; request the grant again');
    }
  }

  private async find(id: string): Promise<Approval> {
    if (!ID_PATTERN.test(id)) throw notFound(`No approval ${JSON.stringify(id)}`);
    const approval = await this.ctx.store.getApproval(id);
    if (!approval) throw notFound(`No approval ${id}`);
    return approval;
  }

  private async visible(id: string, who: Principal): Promise<Approval> {
    const approval = await this.find(id);
    if (!isRequester(approval, who) && !isApproverOf(approval, who)) throw forbidden(`Approval ${id} is neither yours nor one you may decide`);
    return approval;
  }
}
