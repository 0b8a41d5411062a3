/**
 * How the apiserver's RequestInfo resolver (apiserver pkg/endpoints/request/requestinfo.go) reads
 * the path segments: API prefix, group, version, the `watch`/`proxy` verb prefixes, the namespace
 * and the resource parts. Shared by canonicalisation (what to validate, where a proxy path starts)
 * and by RequestInfo itself.
 */

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** A path that is not an API resource path (discovery, /version, /openapi, /healthz …). */
export interface NonResourceLayout {
  resource: false;
}

/** An API resource path, split the way NewRequestInfo splits it. */
export interface ResourceLayout {
  resource: true;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  /** `watch` or `proxy` when the verb came from a path prefix, else ''. */
  verbPrefix: string;
  /** The namespace segment, or undefined when the path has no `namespaces/<ns>`. */
  namespace: string | undefined;
  /** Index in the segments where `parts` (resource, name, subresource, …) start. */
  partsStart: number;
  parts: string[];
}

/** Either layout; `malformed` when a verb prefix has nothing after it (the apiserver answers 500). */
export type SegmentLayout = NonResourceLayout | ResourceLayout | { resource: 'malformed' };

/** Splits decoded path segments (no empty interior segments) like NewRequestInfo. */
export function segmentLayout(segments: readonly string[]): SegmentLayout {
  if (segments.length < 3 || !API_PREFIXES.has(segments[0]!)) return { resource: false };
  const apiPrefix = segments[0]!;
  let at = 1;
  let apiGroup = '';
  if (!GROUPLESS_PREFIXES.has(apiPrefix)) {
    if (segments.length - at < 3) return { resource: false };
    apiGroup = segments[at++]!;
  }
  const apiVersion = segments[at++]!;
  let verbPrefix = '';
  if (SPECIAL_VERBS.has(segments[at]!)) {
    if (segments.length - at < 2) return { resource: 'malformed' };
    verbPrefix = segments[at++]!;
  }
  let namespace: string | undefined;
  if (segments[at] === 'namespaces' && segments.length - at > 1) {
    namespace = segments[at + 1]!;
    if (segments.length - at > 2 && !NAMESPACE_SUBRESOURCES.has(segments[at + 2]!)) at += 2;
  }
  return { resource: true, apiPrefix, apiGroup, apiVersion, verbPrefix, namespace, partsStart: at, parts: segments.slice(at) };
}

/**
 * Where the path handed to a proxy subresource (`…/pods/x/proxy/<path>`) starts, or undefined when
 * the path is not a proxy subresource request.
 */
export function proxyTailStart(layout: SegmentLayout): number | undefined {
  if (layout.resource !== true || layout.verbPrefix !== '' || layout.parts[2] !== 'proxy') return undefined;
  return layout.partsStart + 3;
}
