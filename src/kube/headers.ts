/**
 * Request header hygiene for the upstream request (docs/k8s-protocol.md §1.3 "Header hygiene", §12.2): an
 * allowlist, so identity-bearing headers (Authorization, Impersonate-*, X-Remote-*, Audit-Id,
 * Proxy-*), cookies, hop-by-hop headers and Accept-Encoding (the broker owns compression) never
 * reach the apiserver. The broker adds its own Authorization and Audit-Id afterwards.
 */
import { rewriteAccept } from './negotiate.js';

/** Header values as node:http gives them. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** RFC 9110 §7.6.1 connection-specific headers plus the legacy ones proxies also drop. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Forwarded as they are on every request. */
const KEPT = new Set(['user-agent', 'content-type', 'kubectl-command', 'kubectl-session']);

/** Forwarded only on an upgrade request (WebSocket or SPDY handshake). */
const KEPT_ON_UPGRADE = new Set(['upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version']);

function tokens(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
}

/**
 * The header names (lowercase) a proxy must not forward in either direction: the RFC 9110
 * hop-by-hop set plus every header named in the `Connection` header given.
 */
export function hopHeadersToStrip(connection?: string | string[]): string[] {
  return [...new Set([...HOP_BY_HOP, ...tokens(connection)])];
}

/** Whether the headers ask for a protocol upgrade (`Connection: Upgrade` plus an `Upgrade` header). */
export function isUpgradeRequest(headers: IncomingHeaders): boolean {
  const given = lower(headers);
  return tokens(given['connection']).includes('upgrade') && tokens(given['upgrade']).length > 0;
}

function lower(headers: IncomingHeaders): IncomingHeaders {
  const out: IncomingHeaders = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * The headers to send upstream: User-Agent, Content-Type, Kubectl-Command and Kubectl-Session as
 * given; Accept rewritten to JSON ({@link rewriteAccept}); for an upgrade request also `Upgrade`,
 * `Connection: Upgrade`, `Sec-WebSocket-*` and `X-Stream-Protocol-Version`. Everything else is
 * dropped, including anything the client's own `Connection` header names. Body framing
 * (Content-Length / Transfer-Encoding) is left to the forwarder; a request with a
 * `Content-Encoding` should be refused before this point because its body cannot be inspected.
 */
export function sanitizeRequestHeaders(headers: IncomingHeaders): Record<string, string | string[]> {
  const given = lower(headers);
  const upgrade = isUpgradeRequest(given);
  const connectionNamed = new Set(tokens(given['connection']));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const keep = KEPT.has(name) || (upgrade && KEPT_ON_UPGRADE.has(name));
    if (!keep || (connectionNamed.has(name) && name !== 'upgrade')) continue;
    out[name] = value;
  }
  out['accept'] = rewriteAccept(Array.isArray(given['accept']) ? given['accept'].join(',') : given['accept']);
  if (upgrade) out['connection'] = 'Upgrade';
  return out;
}
