/**
 * RBAC PolicyRule matching, as the apiserver evaluates it (kubernetes pkg/apis/rbac/v1
 * evaluation_helpers.go and plugin/pkg/auth/authorizer/rbac/rbac.go `RuleAllows`). Pure functions.
 */
import type { Attributes } from '../types.js';

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const ALL = '*';

/** A rule's verbs contain the verb or `*`. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

/** A rule's apiGroups contain the group or `*`. */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/**
 * `combined` is `resource` or `resource/subresource`. A rule entry matches when it is `*`, equal to
 * `combined`, or `*\/subresource` for a request that names that subresource.
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  return (rule.resources ?? []).some(
    (r) => r === ALL || r === combined || (subresource !== '' && r === `*/${subresource}`),
  );
}

/**
 * An empty resourceNames list matches every name; otherwise the request must carry a name that is
 * listed, so create, list, watch and deletecollection without a name never match.
 */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  if (names.length === 0) return true;
  return names.includes(name);
}

/** A nonResourceURLs entry matches exactly, as `*`, or as a prefix ending in `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((url) => {
    if (url === ALL || url === path) return true;
    return url.endsWith(ALL) && path.startsWith(url.slice(0, -1));
  });
}

/** Whether one rule allows the request. */
export function ruleAllows(attributes: Attributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attributes.verb)) return false;
  if (!attributes.resourceRequest) return nonResourceURLMatches(rule, attributes.path);
  const combined = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  return (
    apiGroupMatches(rule, attributes.apiGroup) &&
    resourceMatches(rule, combined, attributes.subresource) &&
    resourceNameMatches(rule, attributes.name)
  );
}

/** Label selector as in metav1.LabelSelector (used by ClusterRole aggregationRule). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether labels satisfy a selector; an empty selector matches everything (LabelSelectorAsSelector). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((e) => expressionMatches(e, labels));
}

function expressionMatches(e: { key: string; operator: string; values?: string[] }, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, e.key);
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return has && values.includes(labels[e.key]!);
    case 'NotIn':
      return !has || !values.includes(labels[e.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}
