/**
 * Who may see or act on what, beyond policy evaluation. Pure.
 *
 * - A grant is visible to, and revocable by, its owner, members of its approval groups, and
 *   members of its template's break-glass groups ("governors" of that grant).
 * - Credentials are for the owner alone.
 * - An approval is visible to its requester and to everyone who may decide it.
 * - Audit search and recordings: governors of any template or rule (members of any approval or
 *   break-glass group in the policy) see everything; everyone else sees only their own events.
 */
import type { Approval, Grant, Policy, Principal } from '../types.js';
import { principalId } from '../types.js';

const inAny = (p: Principal, groups: readonly string[] | undefined) => (groups ?? []).some((g) => p.groups.includes(g));

export function isOwner(grant: Grant, p: Principal): boolean {
  return principalId(grant.principal) === principalId(p);
}

/** Groups that govern a grant besides its owner: its approvers and its template's break-glass groups. */
export function governingGroups(policy: Policy, grant: Grant): string[] {
  const template = policy.grants.find((t) => t.name === grant.template);
  return [...(grant.approval?.groups ?? template?.approval?.groups ?? []), ...(template?.breakGlass?.groups ?? [])];
}

export function canSeeGrant(policy: Policy, grant: Grant, p: Principal): boolean {
  return isOwner(grant, p) || inAny(p, governingGroups(policy, grant));
}

export const canRevokeGrant = canSeeGrant;

/** Members of any approval or break-glass group named in the policy. */
export function isGovernor(policy: Policy, p: Principal): boolean {
  const groups = [
    ...policy.grants.flatMap((t) => [...(t.approval?.groups ?? []), ...(t.breakGlass?.groups ?? [])]),
    ...policy.rules.flatMap((r) => r.approval?.groups ?? []),
  ];
  return inAny(p, groups);
}

export function isRequester(approval: Approval, p: Principal): boolean {
  return principalId(approval.requester) === principalId(p);
}

/** Whether `p` is in the approval's groups (self-approval is checked when voting). */
export function isApproverOf(approval: Approval, p: Principal): boolean {
  return inAny(p, approval.rule.groups);
}
