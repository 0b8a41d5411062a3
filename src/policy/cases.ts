/**
 * Policy test cases (`kgate policy test FILE… --cases CASES.yaml`): each case is a principal and
 * either a grant request with the expected outcome (`denied`, `active`, `pending`) or an API request
 * with the expected guardrail effect (`allow`, `deny`, `approve`, optionally the rule's name).
 * Parsing reports issues like policy files do; running is pure and runs every case.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { decideGrant } from './evaluate-grant.js';
import { decideRequest, type RequestAttributes } from './evaluate-request.js';
import { readUrl } from './schema/fields.js';
import type { PolicyEnv } from './schema/env.js';
import { sortIssues, type PolicyIssue } from './schema/issues.js';
import type { Position, ValueReader } from './schema/reader.js';
import { REQUEST_VERBS } from './schema/rules.js';
import { readDocuments } from './schema/source.js';
import type { GrantRequest, Policy, Principal } from './types.js';

/** The kind of a cases file. */
export const CASES_KIND = 'PolicyTest';

const GRANT_OUTCOMES = ['denied', 'active', 'pending'] as const;
const REQUEST_EFFECTS = ['allow', 'deny', 'approve'] as const;
const CASE_FIELDS = ['name', 'principal', 'grant', 'request', 'expect', 'rule'];
const PRINCIPAL_FIELDS = ['issuer', 'subject', 'clientId', 'name', 'type', 'groups', 'claims'];
const GRANT_FIELDS = ['cluster', 'grant', 'namespaces', 'ttl', 'reason', 'breakGlass'];
const REQUEST_FIELDS = ['cluster', 'verb', 'apiGroup', 'resource', 'subresource', 'namespace', 'name', 'command'];
const MAX_CLAIM_DEPTH = 8;

/** One case, with where it is in its file. */
export type PolicyCase = { name: string; principal: Principal; at: Position } & (
  | { kind: 'grant'; grant: GrantRequest; expect: (typeof GRANT_OUTCOMES)[number] }
  | { kind: 'request'; cluster: string; request: RequestAttributes; expect: (typeof REQUEST_EFFECTS)[number]; rule?: string }
);

/** The result of running one case. */
export interface CaseResult {
  name: string;
  kind: 'grant' | 'request';
  at: Position;
  expected: string;
  /** The outcome or effect, e.g. `deny`, with the rule when one matched. */
  actual: string;
  rule?: string;
  /** The decision's message (denial reason or rule message). */
  message?: string;
  pass: boolean;
}

function plainValue(r: ValueReader, depth: number): unknown {
  const node = r.node;
  if (!node) return null;
  if (depth > MAX_CLAIM_DEPTH) {
    r.report(`claims nest deeper than ${MAX_CLAIM_DEPTH} levels`);
    return null;
  }
  if (isMap(node)) {
    const map = r.map('any');
    return Object.fromEntries((map?.names ?? []).map((k) => [k, plainValue(map!.field(k), depth + 1)]));
  }
  if (isSeq(node)) return (r.list() ?? []).map((item) => plainValue(item, depth + 1));
  return isScalar(node) ? node.value : null;
}

function readPrincipal(r: ValueReader): Principal | undefined {
  if (!r.required()) return undefined;
  const m = r.map(PRINCIPAL_FIELDS);
  if (!m) return undefined;
  const issuerField = m.field('issuer');
  const subjectField = m.field('subject');
  issuerField.required();
  subjectField.required();
  const issuer = readUrl(issuerField) ?? '';
  const subject = subjectField.string() ?? '';
  const clientId = m.field('clientId').string();
  const claimsField = m.field('claims');
  const given = claimsField.present ? plainValue(claimsField, 0) : {};
  if (claimsField.present && (typeof given !== 'object' || given === null || Array.isArray(given))) claimsField.report('expected a mapping of claims');
  const claims = { iss: issuer, sub: subject, ...(clientId ? { client_id: clientId } : {}), ...(given as Record<string, unknown>) };
  const principal: Principal = {
    issuer,
    subject,
    name: m.field('name').string() ?? subject,
    type: m.field('type').oneOf(['human', 'workload'] as const) ?? 'human',
    groups: m.field('groups').strings() ?? [],
    claims,
  };
  if (clientId) principal.clientId = clientId;
  return principal;
}

function readGrantRequest(r: ValueReader): GrantRequest {
  const m = r.map(GRANT_FIELDS);
  const request: GrantRequest = { cluster: '', grant: '' };
  if (!m) return request;
  for (const field of ['cluster', 'grant'] as const) {
    const f = m.field(field);
    f.required();
    request[field] = f.string() ?? '';
  }
  const namespaces = m.field('namespaces').strings();
  const ttlMs = m.field('ttl').duration(1, Number.MAX_SAFE_INTEGER);
  const reason = m.field('reason').string();
  const breakGlass = m.field('breakGlass').boolean();
  if (namespaces) request.namespaces = namespaces;
  if (ttlMs !== undefined) request.ttlMs = ttlMs;
  if (reason !== undefined) request.reason = reason;
  if (breakGlass !== undefined) request.breakGlass = breakGlass;
  return request;
}

function readApiRequest(r: ValueReader): { cluster: string; request: RequestAttributes } {
  const m = r.map(REQUEST_FIELDS);
  const request: RequestAttributes = { verb: '', apiGroup: '', resource: '', subresource: '', namespace: '', name: '' };
  if (!m) return { cluster: '', request };
  const clusterField = m.field('cluster');
  const verbField = m.field('verb');
  const resourceField = m.field('resource');
  for (const f of [clusterField, verbField, resourceField]) f.required();
  request.verb = verbField.oneOf(REQUEST_VERBS.filter((v) => v !== '*')) ?? '';
  request.resource = resourceField.string() ?? '';
  for (const field of ['apiGroup', 'subresource', 'namespace', 'name'] as const) {
    const f = m.field(field);
    const empty = (f.node as { value?: unknown } | undefined)?.value === '';
    request[field] = empty ? '' : f.string() ?? '';
  }
  const command = m.field('command').strings({ nonEmpty: true });
  if (command) request.command = command;
  return { cluster: clusterField.string() ?? '', request };
}

function readCase(r: ValueReader): PolicyCase | undefined {
  const m = r.map(CASE_FIELDS);
  if (!m) return undefined;
  const nameField = m.field('name');
  nameField.required();
  const name = nameField.string() ?? '';
  const principal = readPrincipal(m.field('principal'));
  const grantField = m.field('grant');
  const requestField = m.field('request');
  const expectField = m.field('expect');
  expectField.required();
  const ruleField = m.field('rule');
  if (grantField.present === requestField.present) {
    r.report('a case needs exactly one of grant or request');
    return undefined;
  }
  if (grantField.present) {
    if (ruleField.present) ruleField.report('rule is only checked for request cases');
    const grant = readGrantRequest(grantField);
    const expect = expectField.oneOf(GRANT_OUTCOMES);
    return principal && expect ? { kind: 'grant', name, principal, at: r.position, grant, expect } : undefined;
  }
  const { cluster, request } = readApiRequest(requestField);
  const expect = expectField.oneOf(REQUEST_EFFECTS);
  const rule = ruleField.string();
  if (!principal || !expect) return undefined;
  return { kind: 'request', name, principal, at: r.position, cluster, request, expect, ...(rule ? { rule } : {}) };
}

/**
 * Parses a cases file: `{apiVersion: kgate.dev/v1alpha1, kind: PolicyTest, cases: [...]}`.
 * `principal.issuer` may use `${NAME}` like issuer URLs in policies.
 */
export function parseCases(source: { file: string; text: string }, options: { env?: PolicyEnv } = {}): { cases?: PolicyCase[]; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const cases: PolicyCase[] = [];
  for (const doc of readDocuments(source.file, source.text, options.env ?? {}, issues)) {
    const top = doc.root.map(['apiVersion', 'kind', 'cases']);
    if (!top) {
      doc.root.report(`expected a mapping with kind: ${CASES_KIND} and cases`);
      continue;
    }
    const kind = top.field('kind').string();
    if (kind !== undefined && kind !== CASES_KIND) top.field('kind').report(`expected ${JSON.stringify(CASES_KIND)}, got ${JSON.stringify(kind)}`);
    const apiVersion = top.field('apiVersion').string();
    if (apiVersion !== undefined && apiVersion !== 'kgate.dev/v1alpha1') top.field('apiVersion').report(`expected "kgate.dev/v1alpha1", got ${JSON.stringify(apiVersion)}`);
    const casesField = top.field('cases');
    casesField.required();
    for (const item of casesField.list({ nonEmpty: true }) ?? []) {
      const parsed = readCase(item);
      if (parsed) cases.push(parsed);
    }
  }
  if (issues.length > 0) return { issues: sortIssues(issues, [source.file]) };
  return { cases, issues };
}

function runCase(policy: Policy, c: PolicyCase): CaseResult {
  const base = { name: c.name, kind: c.kind, at: c.at, expected: c.expect };
  if (c.kind === 'grant') {
    const decision = decideGrant(policy, c.principal, c.grant);
    const actual = decision.outcome;
    const message = decision.outcome === 'denied' ? decision.message : undefined;
    return { ...base, actual, ...(message ? { message } : {}), pass: actual === c.expect };
  }
  const decision = decideRequest(policy, c.principal, c.cluster, c.request);
  const pass = decision.effect === c.expect && (c.rule === undefined || decision.rule === c.rule);
  return {
    ...base,
    expected: c.rule ? `${c.expect} (rule ${c.rule})` : c.expect,
    actual: decision.rule ? `${decision.effect} (rule ${decision.rule})` : decision.effect,
    ...(decision.rule ? { rule: decision.rule } : {}),
    ...(decision.message ? { message: decision.message } : {}),
    pass,
  };
}

/** Runs every case (never stopping at the first mismatch). */
export function runCases(policy: Policy, cases: readonly PolicyCase[]): CaseResult[] {
  return cases.map((c) => runCase(policy, c));
}
