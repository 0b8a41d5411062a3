/**
 * Canonicalisation of a request line (docs/k8s-protocol.md §1.3): refuse every target that Go's
 * apiserver and a JavaScript parser could read differently, validate the parts the policy decides
 * on, and re-serialise. The canonical `url` is the only thing forwarded upstream, so the resource
 * the policy saw is the resource the apiserver serves.
 *
 * Proxy subresources (`…/pods/p/proxy/<path>`, `…/services/s/proxy/<path>`, `nodes/n/proxy/<path>`)
 * are supported: percent-escapes are allowed only in the `<path>` after the `proxy` segment (the
 * upstream may need them), that path gets the same dot-segment and empty-segment hygiene (the
 * apiserver joins it with path.Join, so `metrics/../run` would reach `/run`), and a trailing slash
 * there is kept because upstream web servers distinguish it. Everywhere else a `%` is refused.
 */
import { isApiGroup, isApiVersion, isNamespace, isObjectName, isResourceName, isSubresourceName } from './names.js';
import { proxyTailStart, segmentLayout, type ResourceLayout } from './layout.js';
import { encodePathSegment, percentDecode } from './percent.js';
import { parseQuery, serializeQuery, type GoQuery, type QueryPair } from './query.js';

/** The methods the broker forwards; anything else (including lowercase spellings) is refused. */
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const METHODS: ReadonlySet<string> = new Set<Method>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Targets longer than this are refused unless the caller sets another limit. */
export const DEFAULT_MAX_URL_LENGTH = 16 * 1024;

/** A request line with one meaning for every parser. */
export interface CanonicalRequest {
  method: Method;
  /** Decoded path segments, no empty ones, no `.`/`..`. */
  segments: readonly string[];
  /** True only for a proxy subresource path that ended in `/` (kept for the upstream). */
  trailingSlash: boolean;
  /** The re-serialised path, escaping only what a segment cannot hold literally. */
  path: string;
  /** Decoded query with Go semantics: every key, all its values in order. */
  query: GoQuery;
  /** The decoded pairs in request order (what `rawQueryCanonical` serialises). */
  queryPairs: readonly QueryPair[];
  /** The re-serialised query, without `?`; '' when there is none. */
  rawQueryCanonical: string;
  /** `path` plus `?query`: the only request-target to forward upstream. */
  url: string;
}

/** Success with the canonical request, or a refusal with a one-line reason. */
export type CanonicalizeResult = { ok: true; request: CanonicalRequest } | { ok: false; reason: string };

/** Options for {@link canonicalizeRequest}. */
export interface CanonicalizeOptions {
  /** Longest accepted target and canonical URL, in characters. */
  maxUrlLength?: number;
}

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

// Characters a path segment may carry without escaping (RFC 3986 pchar minus `;` and `%`).
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,=:@]*$/;

function targetCharProblem(target: string): string | undefined {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'the request target contains a control character';
    if (c === 0x20) return 'the request target contains a space';
    if (c > 0x7e) return 'the request target contains a non-ASCII character';
    if (c === 0x23) return 'the request target contains "#"';
    if (c === 0x5c) return 'the request target contains "\\"';
  }
  return undefined;
}

function targetFormProblem(target: string): string | undefined {
  if (target === '*') return 'asterisk-form request targets are not accepted';
  if (!target.startsWith('/')) return 'only origin-form request targets ("/path?query") are accepted';
  if (target.startsWith('//')) return 'the request target starts with "//"';
  return undefined;
}

interface PathParse {
  segments: string[];
  trailingSlash: boolean;
}

function splitRawPath(rawPath: string): { raw: string[]; trailingSlash: boolean } | string {
  if (rawPath === '/') return { raw: [], trailingSlash: false };
  const raw = rawPath.slice(1).split('/');
  const trailingSlash = raw[raw.length - 1] === '';
  if (trailingSlash) raw.pop();
  if (raw.includes('')) return 'the path contains an empty segment ("//")';
  return { raw, trailingSlash };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function decodeSegments(raw: readonly string[]): string[] | string {
  const segments: string[] = [];
  for (const segment of raw) {
    const decoded = percentDecode(segment);
    if (decoded === undefined) return 'the path contains a malformed percent-escape';
    if (hasControlCharacter(decoded)) return 'the path contains an encoded control character';
    for (const piece of decoded.split('/')) {
      if (piece === '.' || piece === '..') return 'the path contains a "." or ".." segment';
      if (piece === '') return 'the path contains an empty segment';
      segments.push(piece);
    }
  }
  return segments;
}

function parsePath(rawPath: string): PathParse | string {
  if (rawPath.includes(';')) return 'the path contains ";"';
  const split = splitRawPath(rawPath);
  if (typeof split === 'string') return split;
  const segments = decodeSegments(split.raw);
  if (typeof segments === 'string') return segments;
  // Before the proxy tail no segment may need escaping, so raw and decoded segments coincide there
  // and the tail start computed on the raw segments is exact.
  const tail = proxyTailStart(segmentLayout(split.raw));
  const firstEscaped = split.raw.findIndex((s) => !PLAIN_SEGMENT.test(s));
  if (firstEscaped >= 0 && (tail === undefined || firstEscaped < tail)) {
    return split.raw[firstEscaped]!.includes('%')
      ? 'percent-encoding in the path is only accepted after a proxy subresource'
      : 'the path contains a character that must be percent-encoded';
  }
  return { segments, trailingSlash: split.trailingSlash && tail !== undefined };
}

function resourceProblem(layout: ResourceLayout): string | undefined {
  if (layout.apiPrefix === 'apis' && !isApiGroup(layout.apiGroup)) return `invalid API group "${layout.apiGroup}"`;
  if (!isApiVersion(layout.apiVersion)) return `invalid API version "${layout.apiVersion}"`;
  if (layout.verbPrefix === 'proxy') return 'the legacy /proxy/ path prefix is not served by the apiserver';
  if (layout.namespace !== undefined && !isNamespace(layout.namespace)) return `invalid namespace "${layout.namespace}"`;
  const [resource, name, subresource] = layout.parts;
  if (resource === undefined || !isResourceName(resource)) return `invalid resource "${resource ?? ''}"`;
  if (name !== undefined && !isObjectName(name)) return `invalid name "${name}"`;
  if (subresource === undefined) return undefined;
  if (layout.verbPrefix === 'watch') return 'the /watch/ path prefix does not take a subresource';
  if (!isSubresourceName(subresource)) return `invalid subresource "${subresource}"`;
  if (layout.parts.length > 3 && subresource !== 'proxy') return 'the path continues after the subresource';
  return undefined;
}

function structureProblem(segments: readonly string[]): string | undefined {
  const layout = segmentLayout(segments);
  if (layout.resource === 'malformed') return 'a /watch/ or /proxy/ path prefix without a resource';
  return layout.resource ? resourceProblem(layout) : undefined;
}

function serializePath(segments: readonly string[], trailingSlash: boolean): string {
  return '/' + segments.map(encodePathSegment).join('/') + (trailingSlash && segments.length > 0 ? '/' : '');
}

/**
 * Canonicalises a method and raw request-target (`req.url`). Refuses what docs/k8s-protocol.md §1.3 lists:
 * non-origin-form targets, `#`, `\`, control and non-ASCII characters, `;`, `%` outside a proxy
 * path, empty and dot segments, more than one trailing slash, unknown or lowercase methods,
 * duplicated security-relevant query keys, malformed escapes and over-long targets; validates
 * namespace, group, version, resource, name and subresource of API resource paths.
 */
export function canonicalizeRequest(method: string, target: string, options: CanonicalizeOptions = {}): CanonicalizeResult {
  const maxLength = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  if (!METHODS.has(method)) return refuse(`the method "${method.slice(0, 16)}" is not accepted`);
  if (target.length > maxLength) return refuse(`the request target is longer than ${maxLength} characters`);
  const problem = targetFormProblem(target) ?? targetCharProblem(target);
  if (problem) return refuse(problem);
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const path = parsePath(rawPath);
  if (typeof path === 'string') return refuse(path);
  const structure = structureProblem(path.segments);
  if (structure) return refuse(structure);
  const query = parseQuery(q < 0 ? '' : target.slice(q + 1));
  if (!query.ok) return refuse(query.reason);
  const canonicalPath = serializePath(path.segments, path.trailingSlash);
  const rawQueryCanonical = serializeQuery(query.pairs);
  const url = rawQueryCanonical === '' ? canonicalPath : `${canonicalPath}?${rawQueryCanonical}`;
  if (url.length > maxLength) return refuse(`the canonical request target is longer than ${maxLength} characters`);
  return {
    ok: true,
    request: {
      method: method as Method,
      segments: path.segments,
      trailingSlash: path.trailingSlash && path.segments.length > 0,
      path: canonicalPath,
      query: query.query,
      queryPairs: query.pairs,
      rawQueryCanonical,
      url,
    },
  };
}
