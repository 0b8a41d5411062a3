/**
 * Stage 1: the request line gets one meaning (docs/k8s-protocol.md §1.3). Only the canonical URL travels
 * further; a target two parsers could read differently is refused with 400.
 */
import { canonicalizeRequest, type CanonicalRequest } from '../../kube/canonical.js';
import { badRequest, type StatusResponse } from '../../kube/status.js';

/** The canonical request, or the 400 Status that refuses it. */
export type CanonicalStage = { ok: true; request: CanonicalRequest } | { ok: false; refusal: StatusResponse; reason: string };

/** Canonicalises `method` and the raw request target (`req.url`). */
export function canonicalStage(method: string | undefined, target: string | undefined): CanonicalStage {
  const result = canonicalizeRequest(method ?? '', target ?? '');
  if (result.ok) return { ok: true, request: result.request };
  return { ok: false, refusal: badRequest(`kgate refused the request target: ${result.reason}`), reason: result.reason };
}
