/**
 * A minimal OpenAPI v3: the index and one document per group/version whose PATCH operations carry
 * `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter. That is what
 * kubectl's query-param verifier looks for before it leaves validation to the server
 * (cli-runtime pkg/resource/query_param_verifier_v3.go), so `create -f`/`apply -f` validate.
 */
import { createHash } from 'node:crypto';
import { servedGroupVersions } from './discovery.js';
import { typesOf, type ResourceType } from './resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  description: name === 'fieldValidation'
    ? 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict'
    : name,
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function operations(t: ResourceType, gvk: Record<string, string>): Record<string, unknown> {
  const item: Record<string, unknown> = {
    get: { operationId: `read${t.kind}`, 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk, responses: { '200': { description: 'OK' } } },
    delete: { operationId: `delete${t.kind}`, 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': gvk, responses: { '200': { description: 'OK' } } },
    put: { operationId: `replace${t.kind}`, 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk, parameters: QUERY_PARAMETERS, responses: { '200': { description: 'OK' } } },
    // No requestBody: kubectl then computes strategic merge patches from its compiled-in types.
    patch: { operationId: `patch${t.kind}`, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk, parameters: QUERY_PARAMETERS, responses: { '200': { description: 'OK' } } },
  };
  return item;
}

function itemPath(t: ResourceType): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return t.namespaced ? `${base}/namespaces/{namespace}/${t.resource}/{name}` : `${base}/${t.resource}/{name}`;
}

/** The OpenAPI v3 document of one group/version, or undefined. */
export function openApiDocument(group: string, version: string, gitVersion: string): Record<string, unknown> | undefined {
  const types = typesOf(group, version);
  if (!types.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    if (t.virtual) {
      const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
      paths[`${base}/${t.resource}`] = { post: { operationId: `create${t.kind}`, 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind }, parameters: QUERY_PARAMETERS, responses: { '201': { description: 'Created' } } } };
      continue;
    }
    paths[itemPath(t)] = operations(t, { group: t.group, version: t.version, kind: t.kind });
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gitVersion }, paths, components: { schemas: {} } };
}

/** The `/openapi/v3` index with content hashes in the URLs, as the real discovery does. */
export function openApiIndex(gitVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of servedGroupVersions()) {
    const doc = JSON.stringify(openApiDocument(group, version, gitVersion));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}
