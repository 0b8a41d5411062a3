/**
 * The first thing every request to the local listener meets, upgrades included. It admits only
 * command-line clients on this machine that hold the session token: no DNS rebinding (the Host
 * must be the loopback address the listener serves), nothing a web page can send (any Origin,
 * Fetch metadata other than `none`, the content types browsers send cross-site without a
 * preflight), and nothing oversized. Pure: it looks at the method, headers and addresses only.
 */
import { statusResponse, unauthorized, badRequest, requestEntityTooLarge, type StatusResponse } from '../../kube/status.js';
import type { SessionTokenVerifier } from './session-token.js';

/** Size limits the guard enforces (the server enforces the header ones in its parser too). */
export interface ListenerLimits {
  /** Most header fields in one request. */
  maxHeaderCount: number;
  /** Most bytes of header names and values in one request. */
  maxHeaderBytes: number;
  /** Largest request body; the apiserver's own limit is 3 MiB. */
  maxBodyBytes: number;
}

/** Defaults: far above what kubectl or client-go send, far below what would hurt. */
export const DEFAULT_LISTENER_LIMITS: Readonly<ListenerLimits> = {
  maxHeaderCount: 100,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 3 * 1024 * 1024,
};

/** What the guard looks at. */
export interface GuardedRequest {
  method: string;
  /** Node's `req.rawHeaders`: names and values alternating, duplicates kept. */
  rawHeaders: readonly string[];
  remoteAddress: string | undefined;
  /** The port the listener accepted the connection on. */
  localPort: number;
}

/** The guard's verdict: the caller's session token, or the Status to answer with. */
export type GuardVerdict = { allowed: true; token: string } | { allowed: false; refusal: StatusResponse };

// Browsers send these cross-site without a CORS preflight ("CORS-safelisted request-header").
const BROWSER_SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
const BEARER = /^bearer +(\S+) *$/i;

/** Runs every check in order; the first refusal wins. */
export function guardRequest(request: GuardedRequest, verify: SessionTokenVerifier, limits: ListenerLimits = DEFAULT_LISTENER_LIMITS): GuardVerdict {
  const headers = collectHeaders(request.rawHeaders);
  const refusal = refuseRemote(request.remoteAddress)
    ?? refuseHeaderSize(request.rawHeaders, limits)
    ?? refuseHost(headers.get('host'), request.localPort)
    ?? refuseBrowser(headers)
    ?? refuseBody(headers, limits);
  if (refusal) return { allowed: false, refusal };
  const token = bearerToken(headers.get('authorization'));
  if (token === undefined || !verify(token)) return { allowed: false, refusal: unauthorized() };
  return { allowed: true, token };
}

/**
 * The guard of a listener that serves other machines (the gateway): no loopback or Host check,
 * the same browser, size and body checks, and the bearer handed back unverified, because
 * verifying it means asking the store.
 */
export function guardRemoteRequest(request: Pick<GuardedRequest, 'rawHeaders'>, limits: ListenerLimits = DEFAULT_LISTENER_LIMITS): GuardVerdict {
  const headers = collectHeaders(request.rawHeaders);
  const refusal = refuseHeaderSize(request.rawHeaders, limits) ?? refuseBrowser(headers) ?? refuseBody(headers, limits);
  if (refusal) return { allowed: false, refusal };
  const token = bearerToken(headers.get('authorization'));
  return token === undefined ? { allowed: false, refusal: unauthorized() } : { allowed: true, token };
}

/** Header values by lower-cased name, every occurrence kept. */
function collectHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const values = headers.get(name);
    if (values) values.push(rawHeaders[i + 1]!);
    else headers.set(name, [rawHeaders[i + 1]!]);
  }
  return headers;
}

/** Whether an address is on the loopback interface (IPv4, IPv6 or IPv4-mapped IPv6). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function forbidden(message: string): StatusResponse {
  return statusResponse(403, 'Forbidden', `forbidden: ${message}`, {}, { 'X-Content-Type-Options': 'nosniff' });
}

function refuseRemote(address: string | undefined): StatusResponse | undefined {
  return isLoopbackAddress(address) ? undefined : forbidden('only clients on this machine may use the kgate broker');
}

function refuseHeaderSize(rawHeaders: readonly string[], limits: ListenerLimits): StatusResponse | undefined {
  const tooLarge = (what: string) => statusResponse(431, '', `request header fields too large: ${what}`);
  if (rawHeaders.length / 2 > limits.maxHeaderCount) return tooLarge(`more than ${limits.maxHeaderCount} header fields`);
  let bytes = 0;
  for (const part of rawHeaders) bytes += Buffer.byteLength(part, 'latin1');
  return bytes > limits.maxHeaderBytes ? tooLarge(`more than ${limits.maxHeaderBytes} bytes of headers`) : undefined;
}

/** The Host values that name this listener: its loopback address or `localhost`, with its port. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `[::1]:${port}`, `localhost:${port}`];
}

function refuseHost(hosts: string[] | undefined, port: number): StatusResponse | undefined {
  if (!hosts || hosts.length !== 1) return badRequest('exactly one Host header is required');
  if (allowedHosts(port).includes(hosts[0]!.toLowerCase())) return undefined;
  // 421 Misdirected Request: the name is not one this server answers for (DNS rebinding).
  return statusResponse(421, '', `the Host header does not name this listener; use https://127.0.0.1:${port}`);
}

function refuseBrowser(headers: Map<string, string[]>): StatusResponse | undefined {
  if (headers.has('origin')) return forbidden('requests carrying an Origin header are refused: the kgate broker serves command-line clients, not web pages');
  const site = headers.get('sec-fetch-site');
  if (site && site.some((v) => v.trim().toLowerCase() !== 'none')) return forbidden('requests sent by a web page (Sec-Fetch-Site) are refused');
  const types = headers.get('content-type') ?? [];
  if (types.some((t) => BROWSER_SIMPLE_TYPES.has(mediaType(t)))) {
    return statusResponse(415, 'UnsupportedMediaType', `the body of the request was in an unsupported format (${mediaType(types[0]!)}): browser form and text bodies are refused; accepted media types include application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml, application/json-patch+json and application/vnd.kubernetes.protobuf`);
  }
  return undefined;
}

function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

function refuseBody(headers: Map<string, string[]>, limits: ListenerLimits): StatusResponse | undefined {
  const lengths = headers.get('content-length');
  if (!lengths) return undefined;
  if (lengths.length !== 1 || !/^\d+$/.test(lengths[0]!.trim())) return badRequest('invalid Content-Length header');
  const length = Number(lengths[0]!.trim());
  return length > limits.maxBodyBytes ? requestEntityTooLarge(`limit is ${limits.maxBodyBytes}`) : undefined;
}

function bearerToken(values: string[] | undefined): string | undefined {
  if (!values || values.length !== 1) return undefined;
  return BEARER.exec(values[0]!.trim())?.[1];
}
