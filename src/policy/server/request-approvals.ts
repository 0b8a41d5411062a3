/**
 * Approvals for single API requests that a guardrail rule holds, opened by a local broker through
 * `POST /v1/approvals` or by the gateway in-process: the same rule lookup, record and audit.
 *
 * The gate sends the request exactly as it would forward it. The service derives from those bytes
 * both what everyone sees (the target, the exec command with secrets masked, the digest the
 * approval is bound to) and what approvers alone see (everything in full, secrets highlighted),
 * so the two cannot disagree. The exact request is kept only while the approval is pending and
 * never reaches a log line or the audit trail.
 */
import { compileDetectors, type Detector } from '../../mask/detectors.js';
import { checkApprover } from '../evaluate-grant.js';
import { approverView, heldRequestSummary, type ApprovalDetailView } from '../approver-view.js';
import { checkHeldRequest } from '../held-request.js';
import type { Approval, Principal } from '../types.js';
import { principalId } from '../types.js';
import type { RequestApprovalBody } from './api.js';
import type { ServiceContext } from './context.js';
import { ApiError, badRequest } from './errors.js';
import { newId } from './grant-ids.js';

const PROBLEM_CODES = { 400: 'invalid_field', 413: 'body_too_large', 415: 'unsupported_media_type' } as const;

/** The policy's detectors: what is masked for everyone and highlighted for approvers. */
function detectorsOf(ctx: Pick<ServiceContext, 'policy'>): Detector[] {
  return compileDetectors(ctx.policy.masking.detectors);
}

/** Opens the approval; `scheduleExpiry` moves the expiry loop to its deadline. */
export async function openRequestApproval(ctx: ServiceContext, who: Principal, body: RequestApprovalBody, scheduleExpiry: (at: number) => void): Promise<Approval> {
  const { policy, store, now, log } = ctx;
  if (!policy.clusters.some((c) => c.name === body.cluster)) throw badRequest(`Unknown cluster ${body.cluster}`, 'unknown_cluster');
  const rule = policy.rules.find((r) => r.name === body.rule);
  if (!rule || rule.effect !== 'approve' || !rule.approval) throw badRequest(`No guardrail rule ${JSON.stringify(body.rule)} that holds requests for approval`, 'unknown_rule');
  const checked = checkHeldRequest(body.request);
  if (!checked.ok) throw new ApiError(checked.problem.code, PROBLEM_CODES[checked.problem.code], checked.problem.message);
  const summary = heldRequestSummary(body.request, checked.canonical, detectorsOf(ctx));
  const approval = await store.createApproval({
    id: newId(), kind: 'request', state: 'pending', requester: who, cluster: body.cluster, rule: rule.approval,
    request: { ...summary, ruleName: rule.name, message: rule.message },
    votes: [], createdAt: now(), expiresAt: now() + rule.approval.expiresAfterMs, revision: 1,
  }, body.request);
  scheduleExpiry(approval.expiresAt);
  ctx.feed.notify(requesterKey(principalId(who)));
  log.info({ approval: approval.id, principal: principalId(who), cluster: body.cluster, rule: rule.name, verb: summary.verb, path: summary.path }, 'request held for approval');
  await ctx.audit.record({ verb: 'create', resource: 'approvals', name: approval.id, actor: who, cluster: body.cluster, approval: approval.id, decision: 'pending' });
  return approval;
}

/**
 * Whether `who` may see the exact request `approval` holds: someone who may decide it (in its
 * approver groups, not its requester) while it is pending. Everyone else sees the masked summary.
 */
export function maySeeHeldRequest(approval: Approval, who: Principal): boolean {
  return approval.kind === 'request' && approval.state === 'pending' && checkApprover(approval.rule, who, approval.requester).ok;
}

/**
 * The approver's view of the request `approval` holds, when `who` may see it and the service
 * still keeps it; `withBody: false` for lists, which leave the body's text to the single view.
 */
export async function heldRequestView(ctx: Pick<ServiceContext, 'policy' | 'store' | 'now'>, approval: Approval, who: Principal, options: { withBody: boolean }): Promise<ApprovalDetailView | undefined> {
  if (!maySeeHeldRequest(approval, who) || approval.expiresAt <= ctx.now()) return undefined;
  const detail = await ctx.store.getApprovalDetail(approval.id);
  if (!detail) return undefined;
  const checked = checkHeldRequest(detail);
  // Stored only after the same check; a row that no longer passes it is shown to nobody.
  if (!checked.ok) return undefined;
  return approverView(approval.cluster, detail, checked.canonical, detectorsOf(ctx), options);
}

/** The change-feed key woken when an approval is opened for `principal` (`kgate exec` shows holds by it). */
export const requesterKey = (principal: string) => `requester:${principal}`;
