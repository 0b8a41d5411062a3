/**
 * Classification of a RequestInfo for guardrails: streaming connects, privileged operations,
 * writes that may create, the exec command, and the SubjectAccessReview-shaped attributes.
 */
import type { CanonicalRequest } from './canonical.js';
import { classifyContentType } from './negotiate.js';
import type { RequestInfo } from './request-info.js';

const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES = new Set(['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']);
const READ_VERBS = new Set(['get', 'list', 'watch']);
const ESCALATING_VERBS = new Set(['bind', 'escalate', 'impersonate']);

/** Why a request is privileged; several can apply at once. */
export type PrivilegeReason =
  | 'nodes-proxy'
  | 'pods-ephemeralcontainers'
  | 'serviceaccounts-token'
  | 'rbac-escalation'
  | 'csr-approval'
  | 'deletecollection'
  | 'secrets';

function isCore(info: RequestInfo, resource: string, subresource?: string): boolean {
  return info.isResourceRequest && info.apiGroup === '' && info.resource === resource && (subresource === undefined || info.subresource === subresource);
}

/**
 * Whether the request opens a stream into a pod: pods/exec, pods/attach or pods/portforward with any
 * method. A WebSocket GET and a SPDY POST are the same operation (kubectl falls back from one to the
 * other), so they must be decided alike.
 */
export function isConnect(info: RequestInfo): boolean {
  return isCore(info, 'pods') && CONNECT_SUBRESOURCES.has(info.subresource);
}

/** Every privilege reason that applies to the request (empty when none). */
export function privilegeReasons(info: RequestInfo): PrivilegeReason[] {
  const reasons: PrivilegeReason[] = [];
  if (isCore(info, 'nodes', 'proxy')) reasons.push('nodes-proxy');
  if (isCore(info, 'pods', 'ephemeralcontainers')) reasons.push('pods-ephemeralcontainers');
  if (isCore(info, 'serviceaccounts', 'token')) reasons.push('serviceaccounts-token');
  if (ESCALATING_VERBS.has(info.verb)) reasons.push('rbac-escalation');
  else if (info.isResourceRequest && info.apiGroup === RBAC_GROUP && RBAC_RESOURCES.has(info.resource) && !READ_VERBS.has(info.verb)) {
    // Writing a role or binding is where RBAC checks bind/escalate; the URL never carries those verbs.
    reasons.push('rbac-escalation');
  }
  if (info.isResourceRequest && info.apiGroup === 'certificates.k8s.io' && info.resource === 'certificatesigningrequests' && info.subresource === 'approval') {
    reasons.push('csr-approval');
  }
  if (info.verb === 'deletecollection') reasons.push('deletecollection');
  if (isCore(info, 'secrets')) reasons.push('secrets');
  return reasons;
}

/**
 * Whether the request is privileged: nodes/proxy, pods/ephemeralcontainers, serviceaccounts/token,
 * RBAC bind/escalate/impersonate (including writes to roles and bindings),
 * certificatesigningrequests/approval, deletecollection and secrets with any verb. Pod connects are
 * told apart by {@link isConnect}.
 */
export function isPrivileged(info: RequestInfo): boolean {
  return privilegeReasons(info).length > 0;
}

/**
 * Whether the request may create an object: `create`, any PUT (update may create when the
 * resource allows create-on-update) and server-side apply (apply-patch PATCH creates missing
 * objects). The apiserver authorizes these a second time with verb `create`.
 */
export function mayCreate(info: RequestInfo, contentType: string | undefined): boolean {
  if (!info.isResourceRequest) return false;
  if (info.verb === 'create' || info.verb === 'update') return true;
  if (info.verb !== 'patch') return false;
  const kind = classifyContentType(contentType);
  return kind === 'apply-patch+yaml' || kind === 'apply-patch+cbor';
}

/** The exec command: every `command` query value in order (empty when none). */
export function execCommand(c: Pick<CanonicalRequest, 'query'>): string[] {
  return [...(c.query.get('command') ?? [])];
}

/** SubjectAccessReview spec attributes for a request (authorization.k8s.io/v1 shape). */
export type AuthzAttributes =
  | { resourceAttributes: { namespace: string; verb: string; group: string; version: string; resource: string; subresource: string; name: string; fieldSelector?: { rawSelector: string }; labelSelector?: { rawSelector: string } } }
  | { nonResourceAttributes: { path: string; verb: string } };

/** The SubjectAccessReview-style attributes the apiserver authorizes for this request. */
export function authzAttributes(info: RequestInfo): AuthzAttributes {
  if (!info.isResourceRequest) return { nonResourceAttributes: { path: info.path, verb: info.verb } };
  return {
    resourceAttributes: {
      namespace: info.namespace,
      verb: info.verb,
      group: info.apiGroup,
      version: info.apiVersion,
      resource: info.resource,
      subresource: info.subresource,
      name: info.name,
      ...(info.fieldSelector ? { fieldSelector: { rawSelector: info.fieldSelector } } : {}),
      ...(info.labelSelector ? { labelSelector: { rawSelector: info.labelSelector } } : {}),
    },
  };
}
