/**
 * The service's approvals as the gateway's holds use them, in-process: open (same rule lookup
 * and audit as `POST /v1/approvals`), read, wait on the change feed, and use an approved request
 * approval once.
 */
import type { ApprovalDesk } from '../../broker/gateway/holds.js';
import { approvalKey } from './change-feed.js';
import type { ServiceContext } from './context.js';
import { openRequestApproval } from './request-approvals.js';
import { principalId } from '../types.js';

export function approvalDesk(ctx: ServiceContext, scheduleExpiry: (at: number) => void): ApprovalDesk {
  return {
    open: (who, body) => openRequestApproval(ctx, who, body, scheduleExpiry),
    get: (id) => ctx.store.getApproval(id),
    wait: (id, revision, ms, signal) => ctx.feed.waitFor(approvalKey(id), () => ctx.store.getApproval(id), (a) => !a || a.revision > revision, ms, signal),
    approvedRequests: async (principal, cluster) => (await ctx.store.listApprovals({ kind: 'request', state: 'approved', cluster }))
      .filter((a) => principalId(a.requester) === principal && a.consumedAt === undefined),
    consume: async (id) => {
      const used = await ctx.store.consumeApproval(id, ctx.now());
      if (used) ctx.feed.notify(approvalKey(id));
      return used;
    },
    now: ctx.now,
  };
}
