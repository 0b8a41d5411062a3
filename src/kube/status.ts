/**
 * metav1.Status error bodies byte-compatible with the apiserver's (apimachinery pkg/api/errors,
 * apiserver pkg/endpoints/handlers/responsewriters/errors.go): field order of the Go structs, Go's
 * JSON escaping (`<`, `>`, `&` as \u003c…) and the trailing newline of json.Encoder, so kubectl
 * prints `Error from server (Forbidden): …` for a broker denial exactly as for an RBAC one.
 */
import type { RequestInfo } from './request-info.js';

/** One cause in StatusDetails (`type` serialises as `reason`). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** StatusDetails; empty fields are omitted like Go's omitempty. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A ready-to-send error response. */
export interface StatusResponse {
  code: number;
  /** Always `Content-Type: application/json`, plus `Retry-After` or `X-Content-Type-Options` where the apiserver sets them. */
  headers: Record<string, string>;
  /** The Status JSON, newline-terminated. */
  body: string;
}

/** What a Forbidden message needs from a request. */
export type ForbiddenAttributes = Pick<RequestInfo, 'isResourceRequest' | 'verb' | 'apiGroup' | 'resource' | 'subresource' | 'namespace' | 'name' | 'path'>;

const GO_JSON_ESCAPES: Readonly<Record<string, string>> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
const SHORT_ESCAPES: Readonly<Record<number, string>> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

/** JSON with Go encoding/json's HTML-safe escaping, newline-terminated like json.Encoder. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_JSON_ESCAPES[c]!) + '\n';
}

/** Go's `%q` (strconv.Quote) for a string. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (SHORT_ESCAPES[cp]) out += SHORT_ESCAPES[cp];
    else if (cp < 0x80) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (NOT_PRINTABLE.test(ch)) out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function compactDetails(details: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (details.name) out.name = details.name;
  if (details.group) out.group = details.group;
  if (details.kind) out.kind = details.kind;
  if (details.uid) out.uid = details.uid;
  if (details.causes && details.causes.length > 0) {
    out.causes = details.causes.map((c) => ({ ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}), ...(c.field ? { field: c.field } : {}) }));
  }
  if (details.retryAfterSeconds) out.retryAfterSeconds = details.retryAfterSeconds;
  return out;
}

/**
 * Builds a Failure Status response. `reason` '' is StatusReasonUnknown (omitted); `details`
 * undefined omits the field while `{}` sends `"details":{}`, as the Go constructors differ.
 */
export function statusResponse(code: number, reason: string, message: string, details?: StatusDetails, headers: Record<string, string> = {}): StatusResponse {
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    ...(message ? { message } : {}),
    ...(reason ? { reason } : {}),
    ...(details ? { details: compactDetails(details) } : {}),
    code,
  };
  // responsewriters.ErrorNegotiated announces a retry period in the Retry-After header too.
  const retry: Record<string, string> = details?.retryAfterSeconds ? { 'Retry-After': String(details.retryAfterSeconds) } : {};
  return { code, headers: { 'Content-Type': 'application/json', ...retry, ...headers }, body: goJson(status) };
}

// responsewriters: "Avoid emitting errors that look like valid HTML. Quotes are okay."
function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

function forbiddenMessage(a: ForbiddenAttributes, user: string): string {
  if (!a.isResourceRequest) return `User ${goQuote(user)} cannot ${a.verb} path ${goQuote(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${goQuote(a.namespace)}` : 'at the cluster scope';
  return `User ${goQuote(user)} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup)} ${scope}`;
}

/**
 * 403 Forbidden worded like responsewriters.Forbidden + errors.NewForbidden, e.g.
 * `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace
 * "default": <message>`, `… at the cluster scope`, or `forbidden: User "u" cannot get path "/x"`.
 */
export function forbidden(info: ForbiddenAttributes, user: string, message: string): StatusResponse {
  const attributes = sanitize(forbiddenMessage(info, user));
  const reasonText = message ? `${attributes}: ${message}` : attributes;
  const group = info.isResourceRequest ? info.apiGroup : '';
  const resource = info.isResourceRequest ? info.resource : '';
  const name = info.isResourceRequest ? info.name : '';
  const qualified = qualifiedResource(group, resource);
  let text: string;
  if (!group && !resource) text = `forbidden: ${reasonText}`;
  else if (!name) text = `${qualified} is forbidden: ${reasonText}`;
  else text = `${qualified} ${goQuote(name)} is forbidden: ${reasonText}`;
  return statusResponse(403, 'Forbidden', text, { name, group, kind: resource }, { 'X-Content-Type-Options': 'nosniff' });
}

/** 401 like the authentication filter's `errors.NewUnauthorized("Unauthorized")`. */
export function unauthorized(message = 'Unauthorized'): StatusResponse {
  return statusResponse(401, 'Unauthorized', message || 'not authorized');
}

/** 400 errors.NewBadRequest. */
export function badRequest(message: string): StatusResponse {
  return statusResponse(400, 'BadRequest', message);
}

/** 404 for an object, errors.NewNotFound: `pods "x" not found`. */
export function notFound(group: string, resource: string, name: string): StatusResponse {
  return statusResponse(404, 'NotFound', `${qualifiedResource(group, resource)} ${goQuote(name)} not found`, { name, group, kind: resource });
}

/** 404 for a path nothing serves: `the server could not find the requested resource`. */
export function notFoundPath(): StatusResponse {
  return statusResponse(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 405 as go-restful's service error handler answers a method the route does not serve. */
export function methodNotAllowed(): StatusResponse {
  return statusResponse(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** 413 errors.NewRequestEntityTooLargeError: `Request entity too large: <message>`. */
export function requestEntityTooLarge(message: string): StatusResponse {
  return statusResponse(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** 429 errors.NewTooManyRequests (with a Retry-After header when the delay is positive). */
export function tooManyRequests(message: string, retryAfterSeconds = 1): StatusResponse {
  return statusResponse(429, 'TooManyRequests', message, { retryAfterSeconds });
}

/** 500 errors.NewInternalError: `Internal error occurred: <message>`. */
export function internalError(message: string): StatusResponse {
  return statusResponse(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/**
 * 502 for an upstream answer the broker will not pass on (e.g. "response could not be masked").
 * metav1 has no BadGateway reason, so it is sent without one, as errors.ErrorToAPIStatus does for
 * errors that are not API statuses; kubectl prints `Error from server: <message>`.
 */
export function badGateway(message: string): StatusResponse {
  return statusResponse(502, '', message);
}

/** 503 errors.NewServiceUnavailable. */
export function serviceUnavailable(message: string): StatusResponse {
  return statusResponse(503, 'ServiceUnavailable', message);
}

/** 504 errors.NewTimeoutError: `Timeout: <message>`. */
export function gatewayTimeout(message: string, retryAfterSeconds = 0): StatusResponse {
  return statusResponse(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds });
}
