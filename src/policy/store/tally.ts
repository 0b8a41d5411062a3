import type { Approval, ApprovalVote } from '../types.js';
import { principalId } from '../types.js';

/**
 * The state an approval's votes settle it in: any deny denies; enough distinct approving
 * principals approve; otherwise it waits. Pure, so every store settles votes the same way.
 */
export function tallyVotes(votes: readonly ApprovalVote[], requiredCount: number): Approval['state'] {
  if (votes.some((v) => v.decision === 'deny')) return 'denied';
  const approvers = new Set(votes.filter((v) => v.decision === 'approve').map((v) => principalId(v.approver)));
  return approvers.size >= requiredCount ? 'approved' : 'pending';
}
