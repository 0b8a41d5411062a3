/**
 * `spec.rules[]`: guardrails the broker applies to every API request, first match wins. A rule
 * matches when every `match` field given matches the request; within a field any entry may.
 */
import type { GuardrailRule, RequestMatch } from '../types.js';
import { DNS_LABEL, readApproval, readGlobs, readSubjects } from './fields.js';
import type { ValueReader } from './reader.js';
import { didYouMean } from './suggest.js';

const RULE_FIELDS = ['name', 'description', 'match', 'effect', 'message', 'approval'];
const MATCH_FIELDS = ['verbs', 'apiGroups', 'resources', 'namespaces', 'names', 'commands', 'principals', 'clusters'];

/** The verbs Kubernetes' RequestInfo produces, plus `*`. */
export const REQUEST_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'] as const;
const EFFECTS = ['allow', 'deny', 'approve'] as const;

const API_GROUP = /^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;
// resource, resource/subresource, "*", "*" + "/subresource" or "resource/*"
const RESOURCE = /^(\*|[a-z0-9][a-z0-9.-]*)(\/(\*|[a-z0-9][a-z0-9.-]*))?$/;

function readVerbs(r: ValueReader): string[] | undefined {
  const items = r.list({ nonEmpty: true });
  if (!items) return undefined;
  const verbs: string[] = [];
  for (const item of items) {
    const verb = item.string();
    if (verb === undefined) continue;
    if ((REQUEST_VERBS as readonly string[]).includes(verb)) verbs.push(verb);
    else item.report(`expected a request verb (${REQUEST_VERBS.join(', ')}), got ${JSON.stringify(verb)}${didYouMean(verb, REQUEST_VERBS)}`);
  }
  return verbs;
}

function readApiGroups(r: ValueReader): string[] | undefined {
  const items = r.list({ nonEmpty: true });
  if (!items) return undefined;
  const groups: string[] = [];
  for (const item of items) {
    const node = item.node as { value?: unknown } | undefined;
    // `""` is the core group; the string reader refuses empty strings everywhere else.
    if (node?.value === '') groups.push('');
    else {
      const group = item.string({ pattern: API_GROUP, expected: 'an API group like "apps", "" for the core group, or "*"' });
      if (group !== undefined) groups.push(group);
    }
  }
  return groups;
}

function readMatch(r: ValueReader): RequestMatch {
  const m = r.map(MATCH_FIELDS);
  if (!m) return {};
  const match: RequestMatch = {};
  const verbs = readVerbs(m.field('verbs'));
  const apiGroups = readApiGroups(m.field('apiGroups'));
  const resources = m.field('resources').strings({ nonEmpty: true, pattern: RESOURCE, expected: 'a resource like "pods", "pods/exec", "*/exec" or "*"' });
  const namespaces = readGlobs(m.field('namespaces'), { nonEmpty: true });
  const names = readGlobs(m.field('names'), { nonEmpty: true });
  const commands = readGlobs(m.field('commands'), { nonEmpty: true });
  const principals = readSubjects(m.field('principals'));
  const clusters = m.field('clusters').strings({ nonEmpty: true, ...DNS_LABEL });
  if (verbs) match.verbs = verbs;
  if (apiGroups) match.apiGroups = apiGroups;
  if (resources) match.resources = resources;
  if (namespaces) match.namespaces = namespaces;
  if (names) match.names = names;
  if (commands) match.commands = commands;
  if (principals) match.principals = principals;
  if (clusters) match.clusters = clusters;
  return match;
}

/** Reads one guardrail. `deny` and `approve` need a message; `approve` needs an approval rule. */
export function readRule(r: ValueReader): GuardrailRule | undefined {
  const m = r.map(RULE_FIELDS);
  if (!m) return undefined;
  const nameField = m.field('name');
  nameField.required();
  const matchField = m.field('match');
  matchField.required();
  const effectField = m.field('effect');
  effectField.required();
  const effect = effectField.oneOf(EFFECTS);
  const messageField = m.field('message');
  if (effect === 'deny' || effect === 'approve') messageField.required();
  const rule: GuardrailRule = {
    name: nameField.string(DNS_LABEL) ?? '',
    match: readMatch(matchField),
    effect: effect ?? 'deny',
    message: messageField.string({ maxLength: 1024 }) ?? '',
  };
  const approvalField = m.field('approval');
  if (effect === 'approve' && !approvalField.present) approvalField.report('effect approve needs approval: {groups: [...]} naming who may approve');
  if (effect !== undefined && effect !== 'approve' && approvalField.present) approvalField.report(`approval is only used with effect approve, not ${effect}`);
  const approval = readApproval(approvalField);
  if (approval && effect === 'approve') rule.approval = approval;
  return rule;
}
