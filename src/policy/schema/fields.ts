/**
 * Field shapes several policy sections share: names that end up in Kubernetes objects and labels,
 * URLs that must be https, globs, subject matchers and approval rules.
 */
import type { ApprovalRule, SubjectMatcher } from '../types.js';
import { globProblem } from '../glob.js';
import type { MapReader, ValueReader } from './reader.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bounds for grant TTLs: a grant longer than a week is a standing credential by another name. */
export const TTL_BOUNDS = { min: 1_000, max: 7 * DAY } as const;
/** Bounds for how long an approval stays open. */
export const APPROVAL_EXPIRY_BOUNDS = { min: MINUTE, max: 7 * DAY } as const;
/** Most distinct approvers a rule may ask for. */
export const MAX_APPROVALS = 10;
/** Default time an approval stays open. */
export const DEFAULT_APPROVAL_EXPIRY_MS = HOUR;

/** A DNS-1123 label: names of clusters, grants and rules end up in labels and object names. */
export const DNS_LABEL = { pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, expected: 'a lowercase DNS label like "read-only" (a-z, 0-9, "-", at most 63)' };
/** A Kubernetes object name that may contain `:` (ClusterRoles like `system:aggregate-to-view`). */
export const ROLE_NAME = { pattern: /^[a-z0-9]([-a-z0-9.:]{0,251}[a-z0-9])?$/, expected: 'a ClusterRole name like "view"' };
/** A namespace (DNS label) or `*` for all. */
export const NAMESPACE = { pattern: /^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/, expected: 'a namespace name or "*"' };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Why `text` is not an acceptable service URL (https, or http on loopback only), or undefined. */
export function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected an https URL, got ${JSON.stringify(text)}`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol === 'http:') return `expected an https URL (http only for 127.0.0.1, ::1 or localhost), got ${JSON.stringify(text)}`;
  return `expected an https URL, got ${JSON.stringify(text)}`;
}

/** An https URL (http on loopback), with `${NAME}` expansion. */
export function readUrl(r: ValueReader): string | undefined {
  const value = r.string({ env: true });
  if (value === undefined) return undefined;
  const problem = urlProblem(value);
  if (problem) {
    r.report(problem);
    return undefined;
  }
  return value;
}

/** A list of globs that all compile. */
export function readGlobs(r: ValueReader, opts: { nonEmpty?: boolean } = {}): string[] | undefined {
  const items = r.list(opts);
  if (!items) return undefined;
  const globs: string[] = [];
  for (const item of items) {
    const value = item.present ? item.string() : (item.report('expected a glob, got nothing'), undefined);
    if (value === undefined) continue;
    const problem = globProblem(value);
    if (problem) item.report(problem);
    else globs.push(value);
  }
  return globs;
}

const SUBJECT_FIELDS = ['groups', 'clientIds', 'issuer', 'claims', 'principals'] as const;

/** One subject matcher: every field given must match; within a field any entry may. */
export function readSubject(r: ValueReader): SubjectMatcher | undefined {
  const m = r.map(SUBJECT_FIELDS);
  if (!m) {
    if (!r.present) r.report(`expected a subject with ${SUBJECT_FIELDS.join(', ')}, got nothing`);
    return undefined;
  }
  if (!SUBJECT_FIELDS.some((f) => m.has(f))) {
    r.report(`a subject needs at least one of ${SUBJECT_FIELDS.join(', ')}`);
    return undefined;
  }
  const subject: SubjectMatcher = {};
  const groups = m.field('groups').strings({ nonEmpty: true });
  const clientIds = m.field('clientIds').strings({ nonEmpty: true });
  const issuer = m.field('issuer').present ? readUrl(m.field('issuer')) : undefined;
  const claims = readClaims(m);
  const principals = m.field('principals').strings({ nonEmpty: true });
  if (groups) subject.groups = groups;
  if (clientIds) subject.clientIds = clientIds;
  if (issuer) subject.issuer = issuer;
  if (claims) subject.claims = claims;
  if (principals) subject.principals = principals;
  return subject;
}

function readClaims(m: MapReader): Record<string, string> | undefined {
  const claims = m.field('claims').map('any');
  if (!claims) return undefined;
  const out: Record<string, string> = {};
  for (const name of claims.names) {
    const r = claims.field(name);
    const node = r.node as { value?: unknown } | undefined;
    // JWT claims like repository_id are strings that YAML would read as numbers: accept and compare as text.
    const value = typeof node?.value === 'number' ? String(node.value) : r.string();
    if (value === undefined) continue;
    const problem = globProblem(value);
    if (problem) r.report(problem);
    else out[name] = value;
  }
  if (claims.names.length === 0) m.field('claims').report('expected at least one claim, got an empty mapping');
  return out;
}

/** A list of subject matchers (at least one). */
export function readSubjects(r: ValueReader): SubjectMatcher[] | undefined {
  const items = r.list({ nonEmpty: true });
  if (!items) return undefined;
  return items.map(readSubject).filter((s): s is SubjectMatcher => s !== undefined);
}

/** `approval: {groups, count, expiresAfter}`. */
export function readApproval(r: ValueReader): ApprovalRule | undefined {
  const m = r.map(['groups', 'count', 'expiresAfter']);
  if (!m) return undefined;
  const groupsField = m.field('groups');
  groupsField.required();
  const groups = groupsField.strings({ nonEmpty: true });
  const count = m.field('count').integer(1, MAX_APPROVALS) ?? 1;
  const expiresAfterMs = m.field('expiresAfter').duration(APPROVAL_EXPIRY_BOUNDS.min, APPROVAL_EXPIRY_BOUNDS.max) ?? DEFAULT_APPROVAL_EXPIRY_MS;
  return { groups: groups ?? [], count, expiresAfterMs };
}
