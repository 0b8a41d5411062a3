/**
 * The resource types the simulated apiserver serves: the registry that discovery, OpenAPI,
 * routing, Tables and the store all key off.
 */
import type { ResourceKey } from './types.js';

export interface SubresourceType {
  name: string;
  kind: string;
  /** Group/version of the kind when it differs from the parent's (e.g. TokenRequest). */
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources: SubresourceType[];
  /** Create-only review APIs answered by a plugged-in handler, never stored. */
  virtual?: boolean;
  /** PUT of a missing object creates it (rest.RESTUpdateStrategy.AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /** Field selectors beyond metadata.name/metadata.namespace, read from the object by path. */
  selectableFields?: string[];
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

function stored(t: Omit<ResourceType, 'listKind' | 'verbs' | 'subresources'> & Partial<Pick<ResourceType, 'verbs' | 'subresources'>>): ResourceType {
  return { verbs: CRUD, subresources: [], listKind: `${t.kind}List`, ...t };
}

function review(group: string, resource: string, kind: string): ResourceType {
  return {
    group, version: 'v1', resource, singular: resource.replace(/s$/, ''), kind, listKind: `${kind}List`,
    namespaced: false, verbs: ['create'], subresources: [], virtual: true,
  };
}

const RBAC = 'rbac.authorization.k8s.io';

/** Every served resource type. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  stored({
    group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'],
    subresources: [{ name: 'finalize', kind: 'Namespace', verbs: ['update'] }, { name: 'status', kind: 'Namespace', verbs: STATUS_VERBS }],
    selectableFields: ['status.phase'],
  }),
  stored({
    group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: STATUS_VERBS },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'status', kind: 'Pod', verbs: STATUS_VERBS },
    ],
    selectableFields: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  }),
  stored({ group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, selectableFields: ['type'] }),
  stored({ group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  stored({
    group: '', version: 'v1', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  }),
  stored({
    group: '', version: 'v1', resource: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'], allowCreateOnUpdate: true,
    selectableFields: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  }),
  stored({
    group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'],
    subresources: [{ name: 'status', kind: 'Deployment', verbs: STATUS_VERBS }],
  }),
  stored({ group: RBAC, version: 'v1', resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, allowCreateOnUpdate: true }),
  stored({ group: RBAC, version: 'v1', resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, allowCreateOnUpdate: true }),
  stored({ group: RBAC, version: 'v1', resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, allowCreateOnUpdate: true }),
  stored({ group: RBAC, version: 'v1', resource: 'roles', singular: 'role', kind: 'Role', namespaced: true, allowCreateOnUpdate: true }),
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
  review('authentication.k8s.io', 'tokenreviews', 'TokenReview'),
  { ...review('authorization.k8s.io', 'localsubjectaccessreviews', 'LocalSubjectAccessReview'), namespaced: true },
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview'),
  review('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview'),
];

/** The API groups (besides core) in discovery order, each with its single served version. */
export const API_GROUPS: readonly string[] = ['apps', 'authentication.k8s.io', 'authorization.k8s.io', RBAC];

/** The type served at group/version/resource, if any. */
export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The type for a store key (any version). */
export function resourceTypeForKey(key: ResourceKey): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === key.group && t.resource === key.resource);
}

/** The types of one group/version. */
export function typesOf(group: string, version: string): ResourceType[] {
  return RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
}

/** `apiVersion` string of a type ("v1" or "group/v1"). */
export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** The qualified resource as Go's GroupResource.String() prints it ("pods", "roles.rbac.authorization.k8s.io"). */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** The type's store key. */
export function keyOf(t: ResourceType): ResourceKey {
  return { group: t.group, resource: t.resource };
}
