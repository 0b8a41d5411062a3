/**
 * RequestInfo: the authorization attributes the apiserver derives from a URL
 * (apiserver pkg/endpoints/request/requestinfo.go `NewRequestInfo`, docs/k8s-protocol.md §1.1), computed from a
 * canonical request so that the policy decides on exactly what the apiserver will authorize.
 */
import type { CanonicalRequest } from './canonical.js';
import { segmentLayout } from './layout.js';
import { isPathSegmentName } from './names.js';
import { firstValue, goBool, type GoQuery } from './query.js';
import { isValidLabelSelector, parseFieldSelector, requiresExactMatch } from './selectors.js';

/** The apiserver's RequestInfo plus the selectors 1.31+ copies for selector-aware authorization. */
export interface RequestInfo {
  isResourceRequest: boolean;
  /** The decoded path, as Go's URL.Path of the canonical URL. */
  path: string;
  /** RBAC verb (`get`, `list`, `watch`, `create`, …) or, for non-resource requests, the lowercase method. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The segments from the resource on (`[resource, name, subresource, …]`). */
  parts: string[];
  /** True when the verb came from a `/watch/` path prefix. */
  verbViaPathPrefix: boolean;
  /** First `fieldSelector` value for list/watch/deletecollection, else ''. */
  fieldSelector: string;
  /** First `labelSelector` value for list/watch/deletecollection, else ''. */
  labelSelector: string;
  /** The request asks for a protocol upgrade (WebSocket or SPDY); the verb is unaffected, as in Go. */
  isUpgrade: boolean;
}

const METHOD_VERBS: Readonly<Record<string, string>> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const INT64_MAX = 9223372036854775807n;

function isGoInt64(value: string): boolean {
  if (!/^[+-]?\d+$/.test(value)) return false;
  const n = BigInt(value);
  return n <= INT64_MAX && n >= -INT64_MAX - 1n;
}

// Whether ListOptions decoding (conversion to the internal version) succeeds for this query.
function listOptionsDecode(query: GoQuery): boolean {
  for (const key of ['limit', 'timeoutSeconds']) {
    const value = firstValue(query, key);
    if (value !== undefined && !isGoInt64(value)) return false;
  }
  if (!isValidLabelSelector(firstValue(query, 'labelSelector') ?? '')) return false;
  return parseFieldSelector(firstValue(query, 'fieldSelector') ?? '') !== undefined;
}

function resolveCollectionGet(info: RequestInfo, query: GoQuery): void {
  const decoded = listOptionsDecode(query);
  info.verb = goBool(query, 'watch') ? 'watch' : 'list';
  if (!decoded) return;
  const terms = parseFieldSelector(firstValue(query, 'fieldSelector') ?? '') ?? [];
  const name = requiresExactMatch(terms, 'metadata.name');
  if (name !== undefined && isPathSegmentName(name)) info.name = name;
}

function copySelectors(info: RequestInfo, query: GoQuery): void {
  if (info.verbViaPathPrefix || !['list', 'watch', 'deletecollection'].includes(info.verb)) return;
  info.fieldSelector = firstValue(query, 'fieldSelector') ?? '';
  info.labelSelector = firstValue(query, 'labelSelector') ?? '';
}

/** The decoded path Go's URL.Path holds for the canonical URL. */
export function decodedPath(c: Pick<CanonicalRequest, 'segments' | 'trailingSlash'>): string {
  return '/' + c.segments.join('/') + (c.trailingSlash ? '/' : '');
}

/**
 * Resolves RequestInfo for a canonical request: verb from the method (list/watch by Go's bool
 * rule, deletecollection), `watch` path prefix, namespace subresources `status`/`finalize`, and a
 * `fieldSelector=metadata.name=<n>` pinning the name of a list or watch.
 */
export function requestInfo(c: CanonicalRequest, opts: { isUpgrade?: boolean } = {}): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, path: decodedPath(c), verb: c.method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', parts: [], verbViaPathPrefix: false, fieldSelector: '', labelSelector: '',
    isUpgrade: opts.isUpgrade ?? false,
  };
  const layout = segmentLayout(c.segments);
  if (layout.resource !== true) return info;
  info.isResourceRequest = true;
  info.apiPrefix = layout.apiPrefix;
  info.apiGroup = layout.apiGroup;
  info.apiVersion = layout.apiVersion;
  info.verbViaPathPrefix = layout.verbPrefix !== '';
  info.verb = layout.verbPrefix || (METHOD_VERBS[c.method] ?? '');
  info.namespace = layout.namespace ?? '';
  info.parts = layout.parts;
  const [resource, name, subresource] = layout.parts;
  if (subresource !== undefined && info.verb !== 'proxy') info.subresource = subresource;
  if (name !== undefined) info.name = name;
  if (resource !== undefined) info.resource = resource;
  if (info.name === '' && info.verb === 'get') resolveCollectionGet(info, c.query);
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  copySelectors(info, c.query);
  return info;
}
