/**
 * API discovery: aggregated (apidiscovery.k8s.io/v2 APIGroupDiscoveryList on /api and /apis) and
 * the legacy documents (APIVersions, APIGroupList, APIGroup, APIResourceList).
 */
import { API_GROUPS, RESOURCE_TYPES, typesOf, type ResourceType } from './resources.js';

/** The Content-Type that tells client-go a discovery answer is aggregated. */
export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function groupVersion(group: string): { groupVersion: string; version: string } {
  return { groupVersion: `${group}/v1`, version: 'v1' };
}

function aggregatedResource(t: ResourceType): Record<string, unknown> {
  return {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? {
          subresources: t.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? t.group, version: s.version ?? t.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

function aggregatedGroup(group: string): Record<string, unknown> {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: [{ version: 'v1', resources: typesOf(group, 'v1').map(aggregatedResource), freshness: 'Current' }],
  };
}

/** APIGroupDiscoveryList for `/api` (core) or `/apis` (named groups). */
export function aggregatedDiscovery(prefix: 'api' | 'apis'): Record<string, unknown> {
  const groups = prefix === 'api' ? [''] : [...API_GROUPS];
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: groups.map(aggregatedGroup) };
}

/** Legacy `/api`: APIVersions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): Record<string, unknown> {
  const version = groupVersion(group);
  return { name: group, versions: [version], preferredVersion: version };
}

/** Legacy `/apis`: APIGroupList. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: API_GROUPS.map(apiGroup) };
}

/** Legacy `/apis/<group>`: APIGroup, or undefined for an unknown group. */
export function apiGroupDocument(group: string): Record<string, unknown> | undefined {
  return API_GROUPS.includes(group) ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) } : undefined;
}

function legacyResources(t: ResourceType): Record<string, unknown>[] {
  const main = {
    name: t.resource, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
  };
  const subs = t.subresources.map((s) => ({
    name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced,
    ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
    kind: s.kind, verbs: s.verbs,
  }));
  return [main, ...subs];
}

/** Legacy `/api/v1` or `/apis/<group>/<version>`: APIResourceList, or undefined when not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = typesOf(group, version);
  if (!types.length) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: types.flatMap(legacyResources) };
}

/** Every group/version path served (for the OpenAPI index). */
export function servedGroupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of RESOURCE_TYPES) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  return [...seen.values()];
}
