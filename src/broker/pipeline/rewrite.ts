/**
 * Stage 4: the headers sent upstream. The client's headers pass an allowlist (no identity,
 * impersonation, cookies, hop-by-hop or Accept-Encoding), Accept asks for JSON so every body can
 * be masked, and the broker adds the grant's credential and its own Audit-Id.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { sanitizeRequestHeaders } from '../../kube/headers.js';

/** The upstream request headers for a plain (non-upgrade) request. */
export function upstreamHeaders(headers: IncomingHttpHeaders, token: string, auditId: string): Record<string, string | string[]> {
  const out = sanitizeRequestHeaders(headers);
  // The forwarder frames the body itself; a known length is kept so the apiserver sees the same framing.
  const length = headers['content-length'];
  if (length !== undefined && headers['transfer-encoding'] === undefined) out['content-length'] = length;
  out['authorization'] = `Bearer ${token}`;
  out['audit-id'] = auditId;
  return out;
}
