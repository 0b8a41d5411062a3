/**
 * Grant decisions: may this principal have this grant template, on this cluster, for these
 * namespaces and this long — and does it start at once, wait for approval, or not happen at all.
 * Pure: the service stores the outcome, mints credentials and runs the approval.
 *
 * Decisions, in order:
 * 1. the template exists and one of its `subjects` admits the principal (`templatesFor`);
 * 2. the cluster is defined and the template offers it;
 * 3. the namespaces are a subset of the template's (any namespace when the template has `*`;
 *    `*` may only be asked for when the template has it); none asked = the template's;
 * 4. the TTL: none asked = the template's default; above the template's maximum is DENIED, not
 *    silently shortened, so nobody believes they hold access longer than they do;
 * 5. a reason when the template requires one (and always for break-glass);
 * 6. break glass: only members of `breakGlass.groups`, with a reason; active at once, flagged
 *    `breakGlass` for loud auditing. A template with `breakGlass` but no `approval` is break-glass
 *    only: every activation is one;
 * 7. otherwise `pending` when the template names an approval rule, else `active`.
 */
import { didYouMean } from './schema/suggest.js';
import { formatDuration } from './duration.js';
import { matchesAnySubject } from './subjects.js';
import { principalId, type ApprovalRule, type ClusterConfig, type GrantRequest, type GrantTemplate, type Policy, type Principal } from './types.js';

/** The outcome of {@link decideGrant}. */
export type GrantDecision =
  | { outcome: 'denied'; message: string }
  | {
      outcome: 'active' | 'pending';
      template: GrantTemplate;
      cluster: ClusterConfig;
      namespaces: string[];
      ttlMs: number;
      approval?: ApprovalRule;
      breakGlass: boolean;
      reason?: string;
    };

/** Longest reason kept; longer ones are refused rather than cut, since they end up in audit. */
export const MAX_REASON_LENGTH = 1000;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The templates whose subjects admit the principal, in policy order. */
export function templatesFor(policy: Policy, principal: Principal): GrantTemplate[] {
  return policy.grants.filter((t) => matchesAnySubject(t.subjects, principal));
}

function denied(message: string): GrantDecision {
  return { outcome: 'denied', message };
}

function who(p: Principal): string {
  return p.name && p.name !== p.subject ? p.name : p.subject;
}

function decideNamespaces(template: GrantTemplate, asked: string[] | undefined): { namespaces: string[] } | { message: string } {
  if (asked === undefined || asked.length === 0) return { namespaces: [...template.namespaces] };
  const unique = [...new Set(asked)];
  const bad = unique.find((ns) => ns !== '*' && !NAMESPACE_NAME.test(ns));
  if (bad !== undefined) return { message: `${JSON.stringify(bad)} is not a namespace name (lowercase letters, digits and "-", at most 63)` };
  if (unique.includes('*')) {
    if (unique.length > 1) return { message: '"*" already means every namespace: ask for either "*" or namespace names' };
    if (!template.namespaces.includes('*')) return { message: `grant ${JSON.stringify(template.name)} is limited to namespaces ${template.namespaces.join(', ')}` };
    return { namespaces: ['*'] };
  }
  if (template.namespaces.includes('*')) return { namespaces: unique };
  const outside = unique.filter((ns) => !template.namespaces.includes(ns));
  if (outside.length > 0) {
    return { message: `grant ${JSON.stringify(template.name)} does not cover namespace ${outside.join(', ')} (it covers ${template.namespaces.join(', ')})` };
  }
  return { namespaces: unique };
}

function decideTtl(template: GrantTemplate, asked: number | undefined): { ttlMs: number } | { message: string } {
  if (asked === undefined) return { ttlMs: template.defaultTtlMs };
  if (Number.isNaN(asked) || asked <= 0) return { message: 'the TTL must be a positive duration like 15m or 1h' };
  if (asked > template.maxTtlMs) {
    // Infinity stands for a well-formed TTL too long to count (src/policy/duration.ts).
    const shown = Number.isFinite(asked) ? formatDuration(asked) : 'that length';
    return { message: `a TTL of ${shown} is above the maximum ${formatDuration(template.maxTtlMs)} of grant ${JSON.stringify(template.name)}; ask for ${formatDuration(template.maxTtlMs)} or less` };
  }
  return { ttlMs: Math.floor(asked) };
}

/**
 * Decides a grant request for a principal. Never throws; every refusal is `denied` with a message
 * the requester can act on.
 */
export function decideGrant(policy: Policy, principal: Principal, request: GrantRequest): GrantDecision {
  const template = policy.grants.find((t) => t.name === request.grant);
  const mine = templatesFor(policy, principal);
  if (!template || !mine.includes(template)) {
    const names = mine.map((t) => t.name);
    const hint = names.length ? `${didYouMean(request.grant, names)}; you may request: ${names.join(', ')}` : '; you may not request any grant';
    return denied(`${who(principal)} may not request grant ${JSON.stringify(request.grant)}${hint}`);
  }
  const cluster = policy.clusters.find((c) => c.name === request.cluster);
  if (!cluster || !template.clusters.includes(request.cluster)) {
    return denied(`grant ${JSON.stringify(template.name)} is not offered on cluster ${JSON.stringify(request.cluster)} (it is offered on ${template.clusters.join(', ')})`);
  }
  const namespaces = decideNamespaces(template, request.namespaces);
  if ('message' in namespaces) return denied(namespaces.message);
  const ttl = decideTtl(template, request.ttlMs);
  if ('message' in ttl) return denied(ttl.message);
  const reason = request.reason?.trim() || undefined;
  if (reason && reason.length > MAX_REASON_LENGTH) return denied(`the reason is longer than ${MAX_REASON_LENGTH} characters`);
  const breakGlass = request.breakGlass === true || (template.breakGlass !== undefined && template.approval === undefined);
  const granted = { template, cluster, namespaces: namespaces.namespaces, ttlMs: ttl.ttlMs, reason };
  if (breakGlass) {
    if (!template.breakGlass) return denied(`grant ${JSON.stringify(template.name)} has no break-glass access`);
    if (!template.breakGlass.groups.some((g) => principal.groups.includes(g))) {
      return denied(`break glass on grant ${JSON.stringify(template.name)} is for members of ${template.breakGlass.groups.join(', ')}`);
    }
    if (!reason) return denied(`break glass on grant ${JSON.stringify(template.name)} needs a reason`);
    return { outcome: 'active', ...granted, breakGlass: true };
  }
  if (template.reasonRequired && !reason) return denied(`grant ${JSON.stringify(template.name)} needs a reason`);
  if (template.approval) return { outcome: 'pending', ...granted, approval: template.approval, breakGlass: false };
  return { outcome: 'active', ...granted, breakGlass: false };
}

/**
 * Whether `approver` may approve under `rule` a request made by `requester`: never their own
 * (same issuer and subject), and only as a member of one of the rule's groups.
 */
export function checkApprover(rule: ApprovalRule, approver: Principal, requester: Principal): { ok: true } | { ok: false; message: string } {
  if (principalId(approver) === principalId(requester)) return { ok: false, message: 'you cannot approve your own request' };
  if (!rule.groups.some((g) => approver.groups.includes(g))) {
    return { ok: false, message: `only members of ${rule.groups.join(', ')} may approve this` };
  }
  return { ok: true };
}
