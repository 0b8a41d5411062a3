/**
 * Guardrails for one API request: the rules in policy order, first match wins. `deny` and `approve`
 * carry the rule's name and message (and approval rule); no match allows, since RBAC on the grant's
 * binding already bounds what the request can do. Pure and cheap: the broker calls it per request.
 */
import { globMatchAny } from './glob.js';
import { matchesAnySubject } from './subjects.js';
import type { ApprovalRule, GuardrailRule, Policy, Principal, RequestMatch } from './types.js';

/** A request as the broker classified it (Kubernetes RequestInfo terms; `''` for "none"). */
export interface RequestAttributes {
  verb: string;
  /** `''` is the core group. */
  apiGroup: string;
  resource: string;
  subresource: string;
  /** `''` for cluster-scoped requests. */
  namespace: string;
  name: string;
  /** The exec command, for `pods/exec`. */
  command?: string[];
}

/** The outcome of {@link decideRequest}. */
export interface RequestDecision {
  effect: 'allow' | 'deny' | 'approve';
  rule?: string;
  message?: string;
  approval?: ApprovalRule;
}

/**
 * RBAC-style resource patterns: `*` any resource or subresource; `pods` the resource itself only;
 * `pods/exec` one subresource; `*\/exec` that subresource of any resource; `pods/*` any subresource
 * of pods.
 */
export function resourceMatches(pattern: string, resource: string, subresource: string): boolean {
  if (pattern === '*') return true;
  const slash = pattern.indexOf('/');
  if (slash === -1) return subresource === '' && pattern === resource;
  const r = pattern.slice(0, slash);
  const s = pattern.slice(slash + 1);
  return subresource !== '' && (r === '*' || r === resource) && (s === '*' || s === subresource);
}

function anyOf(list: readonly string[] | undefined, test: (entry: string) => boolean): boolean {
  return list === undefined || list.some(test);
}

/** Whether every field the match sets matches the request. */
export function ruleMatches(match: RequestMatch, principal: Principal, cluster: string, request: RequestAttributes): boolean {
  return (
    anyOf(match.verbs, (v) => v === '*' || v === request.verb) &&
    anyOf(match.apiGroups, (g) => g === '*' || g === request.apiGroup) &&
    anyOf(match.resources, (r) => resourceMatches(r, request.resource, request.subresource)) &&
    anyOf(match.clusters, (c) => c === cluster) &&
    (match.namespaces === undefined || globMatchAny(match.namespaces, request.namespace)) &&
    (match.names === undefined || globMatchAny(match.names, request.name)) &&
    (match.commands === undefined || (request.command !== undefined && globMatchAny(match.commands, request.command.join(' ')))) &&
    (match.principals === undefined || matchesAnySubject(match.principals, principal))
  );
}

function decisionOf(rule: GuardrailRule): RequestDecision {
  const decision: RequestDecision = { effect: rule.effect, rule: rule.name };
  if (rule.message) decision.message = rule.message;
  if (rule.effect === 'approve' && rule.approval) decision.approval = rule.approval;
  return decision;
}

/** The first matching rule's decision, or allow when none matches. */
export function decideRequest(policy: Policy, principal: Principal, cluster: string, request: RequestAttributes): RequestDecision {
  const rule = policy.rules.find((r) => ruleMatches(r.match, principal, cluster, request));
  return rule ? decisionOf(rule) : { effect: 'allow' };
}
