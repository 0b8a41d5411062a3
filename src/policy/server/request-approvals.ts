/**
 * Approvals for single API requests that a guardrail rule holds, opened by a local broker through
 * `POST /v1/approvals` or by the gateway in-process: the same rule lookup, record and audit.
 */
import type { Approval, Principal } from '../types.js';
import { principalId } from '../types.js';
import type { RequestApprovalBody } from './api.js';
import type { ServiceContext } from './context.js';
import { badRequest } from './errors.js';
import { newId } from './grant-ids.js';

/** Opens the approval; `scheduleExpiry` moves the expiry loop to its deadline. */
export async function openRequestApproval(ctx: ServiceContext, who: Principal, body: RequestApprovalBody, scheduleExpiry: (at: number) => void): Promise<Approval> {
  const { policy, store, now, log } = ctx;
  if (!policy.clusters.some((c) => c.name === body.cluster)) throw badRequest(`Unknown cluster ${body.cluster}`, 'unknown_cluster');
  const rule = policy.rules.find((r) => r.name === body.rule);
  if (!rule || rule.effect !== 'approve' || !rule.approval) throw badRequest(`No guardrail rule ${JSON.stringify(body.rule)} that holds requests for approval`, 'unknown_rule');
  const approval = await store.createApproval({
    id: newId(), kind: 'request', state: 'pending', requester: who, cluster: body.cluster, rule: rule.approval,
    request: { ...body.request, ...(body.bodyDigest ? { bodyDigest: body.bodyDigest } : {}), ruleName: rule.name, message: rule.message },
    votes: [], createdAt: now(), expiresAt: now() + rule.approval.expiresAfterMs, revision: 1,
  });
  scheduleExpiry(approval.expiresAt);
  ctx.feed.notify(requesterKey(principalId(who)));
  log.info({ approval: approval.id, principal: principalId(who), cluster: body.cluster, rule: rule.name, verb: body.request.verb, path: body.request.path }, 'request held for approval');
  await ctx.audit.record({ verb: 'create', resource: 'approvals', name: approval.id, actor: who, cluster: body.cluster, approval: approval.id, decision: 'pending' });
  return approval;
}

/** The change-feed key woken when an approval is opened for `principal` (`kgate exec` shows holds by it). */
export const requesterKey = (principal: string) => `requester:${principal}`;
