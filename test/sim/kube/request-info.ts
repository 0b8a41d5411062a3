/**
 * The apiserver's RequestInfo resolver (apiserver pkg/endpoints/request/requestinfo.go) with Go's
 * URL semantics: the path is percent-decoded before it is split, all leading/trailing slashes are
 * trimmed, and the query is parsed like url.ParseQuery (pairs with a `;` are dropped).
 */
import { parseFieldSelector, parseLabelSelector, requiresExactMatch } from './selectors.js';
import { StatusError, type RequestInfo } from './types.js';

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** A parsed request target: RequestInfo plus the Go-parsed query. */
export interface ParsedRequest {
  info: RequestInfo;
  query: URLSearchParams;
  /** The path and query as sent (Go's URL.RequestURI()). */
  requestURI: string;
}

/** Decodes `%XX` escapes like Go's url.PathUnescape (`+` stays); undefined on a malformed escape. */
export function goUnescape(text: string, plusIsSpace = false): string | undefined {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch === '+' && plusIsSpace) bytes.push(0x20);
    else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** url.ParseQuery: `&`-separated pairs; a pair with `;` or a bad escape is dropped; first value first. */
export function parseGoQuery(rawQuery: string): URLSearchParams {
  const params = new URLSearchParams();
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = goUnescape(eq < 0 ? pair : pair.slice(0, eq), true);
    const value = goUnescape(eq < 0 ? '' : pair.slice(eq + 1), true);
    if (key === undefined || value === undefined) continue;
    params.append(key, value);
  }
  return params;
}

/** Go's Convert_Slice_string_To_bool: first value; "0" and case-insensitive "false" are false, anything else true. */
export function goBool(query: URLSearchParams, key: string): boolean | undefined {
  const value = query.get(key);
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/** Like content.IsPathSegmentName: a name usable as one path segment. */
export function isPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/**
 * Splits a request-target into decoded path and raw query the way Go's http server does
 * (absolute-form targets keep only their path); throws StatusError 400 on a bad escape.
 */
export function splitRequestTarget(target: string): { path: string; rawQuery: string; requestURI: string } {
  let uri = target;
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(uri);
  if (absolute) uri = uri.slice(absolute[0].length) || '/';
  const q = uri.indexOf('?');
  const rawPath = q < 0 ? uri : uri.slice(0, q);
  const rawQuery = q < 0 ? '' : uri.slice(q + 1);
  const path = goUnescape(rawPath);
  if (path === undefined) throw new StatusError(400, 'BadRequest', `invalid URL escape in "${rawPath}"`);
  return { path, rawQuery, requestURI: uri };
}

function listOptionsDecodable(query: URLSearchParams): boolean {
  for (const key of ['limit', 'timeoutSeconds']) {
    const value = query.get(key);
    if (value !== null && !/^[+-]?\d+$/.test(value)) return false;
  }
  try {
    parseLabelSelector(query.get('labelSelector') ?? '');
    parseFieldSelector(query.get('fieldSelector') ?? '');
  } catch {
    return false;
  }
  return true;
}

function collectionVerb(query: URLSearchParams, info: RequestInfo): void {
  if (!listOptionsDecodable(query)) {
    // A failed decode resets the options, but a raw `watch` still counts (requestinfo.go).
    info.verb = goBool(query, 'watch') ? 'watch' : 'list';
    return;
  }
  info.verb = goBool(query, 'watch') ? 'watch' : 'list';
  const name = requiresExactMatch(parseFieldSelector(query.get('fieldSelector') ?? ''), 'metadata.name');
  if (name !== undefined && isPathSegmentName(name)) info.name = name;
}

/** NewRequestInfo for a method, decoded path and Go-parsed query; throws StatusError for a malformed special-verb path. */
export function resolveRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '',
    namespace: '', resource: '', subresource: '', name: '', parts: [],
  };
  let parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (!GROUPLESS_PREFIXES.has(info.apiPrefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);
  if (SPECIAL_VERBS.has(parts[0]!)) {
    if (parts.length < 2) {
      throw new StatusError(500, 'InternalError', `Internal Server Error: "${path}": unable to determine kind and namespace from url, ${path}`);
    }
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method] ?? '';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;
  if (info.name === '' && info.verb === 'get') collectionVerb(query, info);
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/** Parses a raw request-target (req.url) for a method into RequestInfo and query. */
export function parseRequest(method: string, target: string): ParsedRequest {
  const { path, rawQuery, requestURI } = splitRequestTarget(target);
  const query = parseGoQuery(rawQuery);
  return { info: resolveRequestInfo(method, path, query), query, requestURI };
}
