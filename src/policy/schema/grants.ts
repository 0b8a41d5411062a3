/**
 * `spec.grants[]`: templates people and machines request grants from — which subjects may ask for
 * which ClusterRole, on which clusters and namespaces, for how long, and who must approve.
 */
import type { GrantTemplate } from '../types.js';
import { DNS_LABEL, NAMESPACE, ROLE_NAME, TTL_BOUNDS, readApproval, readSubjects } from './fields.js';
import type { ValueReader } from './reader.js';

const GRANT_FIELDS = ['name', 'description', 'clusters', 'clusterRole', 'namespaces', 'maxTTL', 'defaultTTL', 'subjects', 'approval', 'breakGlass', 'reasonRequired'];
/** TTL of a grant requested without one, unless the template's maxTTL is shorter. */
export const DEFAULT_TTL_MS = 3_600_000;

/** Reads one grant template. `defaultTTL` defaults to 1h or maxTTL, whichever is shorter. */
export function readGrant(r: ValueReader): GrantTemplate | undefined {
  const m = r.map(GRANT_FIELDS);
  if (!m) return undefined;
  const required = (name: string) => {
    const f = m.field(name);
    f.required();
    return f;
  };
  const name = required('name').string(DNS_LABEL) ?? '';
  const clusters = required('clusters').strings({ nonEmpty: true, ...DNS_LABEL }) ?? [];
  const clusterRole = required('clusterRole').string(ROLE_NAME) ?? '';
  const namespacesField = required('namespaces');
  const namespaces = namespacesField.strings({ nonEmpty: true, ...NAMESPACE }) ?? [];
  if (namespaces.includes('*') && namespaces.length > 1) namespacesField.report('"*" already means every namespace: list either "*" or namespace names');
  const maxTtlMs = required('maxTTL').duration(TTL_BOUNDS.min, TTL_BOUNDS.max) ?? 0;
  const defaultTtlMs = m.field('defaultTTL').duration(TTL_BOUNDS.min, TTL_BOUNDS.max) ?? Math.min(DEFAULT_TTL_MS, maxTtlMs || DEFAULT_TTL_MS);
  const subjects = required('subjects').present ? readSubjects(m.field('subjects')) ?? [] : [];
  const template: GrantTemplate = {
    name,
    clusters,
    clusterRole,
    namespaces,
    maxTtlMs,
    defaultTtlMs,
    subjects,
    reasonRequired: m.field('reasonRequired').boolean() ?? false,
  };
  const description = m.field('description').string();
  if (description) template.description = description;
  const approval = readApproval(m.field('approval'));
  if (approval) template.approval = approval;
  const breakGlass = m.field('breakGlass').map(['groups']);
  if (breakGlass) {
    const groups = breakGlass.field('groups');
    groups.required();
    template.breakGlass = { groups: groups.strings({ nonEmpty: true }) ?? [] };
  }
  return template;
}
