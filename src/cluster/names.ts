/**
 * Every name kgate writes into a cluster or into STS, derived from a grant id and a principal so
 * that nothing a caller controls can inject into an object name, a label, a selector or a session.
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { Principal } from '../policy/types.js';
import { ClusterError, ClusterErrorCode } from './errors.js';

/** Label on every object kgate manages for a grant; its value is the grant id. */
export const GRANT_LABEL = 'kgate.dev/grant';
/** The standard managed-by label, so cluster admins see who owns the object. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kgate';
/** RFC 3339 instant after which the object must not exist. */
export const EXPIRES_AT_ANNOTATION = 'kgate.dev/expires-at';
/** Sanitised name of the principal the grant belongs to (for cluster admins and audit). */
export const PRINCIPAL_ANNOTATION = 'kgate.dev/principal';

const OBJECT_PREFIX = 'kgate-grant-';
const SESSION_PREFIX = 'grant-';
/** A DNS label (RFC 1123), which is also a valid label value. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** `kgate-grant-<id>` must stay a DNS label (63) so it works as ServiceAccount name and label value. */
const MAX_GRANT_ID = 63 - OBJECT_PREFIX.length;
/** STS names (RoleSessionName, SourceIdentity): `[\w+=,.@-]{2,64}`. */
const STS_NAME_CHAR = /[^\w+=,.@-]/g;
const STS_NAME_MAX = 64;

/**
 * Checks that a grant id is a DNS label short enough for every name derived from it; returns it.
 * The service generates safe ids, this guards against anything else reaching the cluster.
 * @throws ClusterError KGATE_CLUSTER_INVALID_NAME
 */
export function checkGrantId(id: string): string {
  if (typeof id !== 'string' || id.length > MAX_GRANT_ID || !DNS_LABEL.test(id)) {
    throw new ClusterError(ClusterErrorCode.InvalidName, `Grant id ${JSON.stringify(String(id).slice(0, 80))} is not a DNS label of at most ${MAX_GRANT_ID} characters`);
  }
  return id;
}

/** Whether `id` is a grant id kgate could have issued. */
export function isGrantId(id: string): boolean {
  return id.length <= MAX_GRANT_ID && DNS_LABEL.test(id);
}

/** `kgate-grant-<id>`: the name of every RoleBinding, ClusterRoleBinding and ServiceAccount of a grant. */
export function grantObjectName(id: string): string {
  return `${OBJECT_PREFIX}${checkGrantId(id)}`;
}

/** `grant-<id>`: the STS RoleSessionName, which the EKS access entry turns into the username. */
export function grantSessionName(id: string): string {
  return `${SESSION_PREFIX}${checkGrantId(id)}`;
}

/**
 * Checks a namespace name (DNS label) before it becomes part of a URL or an object.
 * @throws ClusterError KGATE_CLUSTER_INVALID_NAME
 */
export function checkNamespace(namespace: string): string {
  if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new ClusterError(ClusterErrorCode.InvalidName, `Namespace ${JSON.stringify(String(namespace).slice(0, 80))} is not a valid Kubernetes namespace name`);
  }
  return namespace;
}

/**
 * Checks a ClusterRole name (a path-segment name: no `/`, `%`, not `.` or `..`).
 * @throws ClusterError KGATE_CLUSTER_INVALID_NAME
 */
export function checkClusterRole(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || name === '.' || name === '..' || /[/%\s]/.test(name)) {
    throw new ClusterError(ClusterErrorCode.InvalidName, `ClusterRole ${JSON.stringify(String(name).slice(0, 80))} is not a valid role name`);
  }
  return name;
}

/** Selects every object of one grant. */
export function grantSelector(id: string): string {
  return `${GRANT_LABEL}=${checkGrantId(id)}`;
}

/** Selects every object kgate manages for any grant. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${GRANT_LABEL}`;

/** Labels for an object of grant `id`. */
export function grantLabels(id: string): Record<string, string> {
  return { [GRANT_LABEL]: checkGrantId(id), [MANAGED_BY_LABEL]: MANAGED_BY };
}

/** RFC 3339 (seconds precision, `Z`), as Kubernetes writes times. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Annotations for an object of a grant ending at `expiresAt`. */
export function grantAnnotations(expiresAt: number, principal: Pick<Principal, 'name' | 'subject'>): Record<string, string> {
  return { [EXPIRES_AT_ANNOTATION]: rfc3339(expiresAt), [PRINCIPAL_ANNOTATION]: principalName(principal) };
}

/**
 * A principal's name in STS's charset `[\w+=,.@-]`, 2–64 characters, usable as SourceIdentity,
 * session tag value and annotation. Other characters become `-`; over-long names keep a prefix
 * and a digest of the whole, so two long names stay distinct.
 */
export function principalName(principal: Pick<Principal, 'name' | 'subject'>): string {
  const raw = principal.name || principal.subject || 'unknown';
  let name = raw.replace(STS_NAME_CHAR, '-');
  // STS reserves the `aws:` prefix; after the replacement above it would read `aws-`, which is allowed.
  if (name.length > STS_NAME_MAX) {
    const digest = createHash('sha256').update(raw).digest('hex').slice(0, 8);
    name = `${name.slice(0, STS_NAME_MAX - digest.length - 1)}.${digest}`;
  }
  return name.length < 2 ? `${name}__`.slice(0, 2) : name;
}

/**
 * The Kubernetes username an EKS access entry gives the grant's session: the template with
 * `{{SessionName}}` (and `{{SessionNameRaw}}`, `{{AccountID}}`) filled in.
 * @throws ClusterError KGATE_CLUSTER_CONFIG when the template needs what cannot be known in advance
 */
export function eksUsername(template: string, grantId: string, roleArn: string): string {
  const session = grantSessionName(grantId);
  const account = /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1];
  let username = template.replaceAll('{{SessionName}}', session).replaceAll('{{SessionNameRaw}}', session);
  if (account) username = username.replaceAll('{{AccountID}}', account);
  if (username.includes('{{') || !template.includes('{{SessionName')) {
    throw new ClusterError(ClusterErrorCode.Config, `usernameTemplate ${JSON.stringify(template)} must contain {{SessionName}} and no other per-session variable`, {
      suggestions: ['Use the access entry template kgate:{{SessionName}}.'],
    });
  }
  return username;
}
