/**
 * Stage 3b: a JSON patch that would make the apiserver reveal a masked value (copy, move or test
 * on it, renaming an env var) is refused before it is forwarded; src/mask/patch-guard.ts decides.
 * Only `application/json-patch+json` bodies are read for this; every other body streams on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestInfo } from '../../kube/request-info.js';
import { badRequest, forbidden, type StatusResponse } from '../../kube/status.js';
import type { PatchGuard } from '../../mask/patch-guard.js';

/**
 * Whether the request is a JSON patch. The apiserver takes the media type as sent (before any
 * `;`); this also takes it in any case and with spaces, so no spelling the apiserver might accept
 * slips past.
 */
export function isJsonPatch(method: string, headers: IncomingHttpHeaders): boolean {
  if (method !== 'PATCH') return false;
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json-patch+json';
}

/** Why a JSON patch is refused: the Status to send and the reason to audit. */
export interface PatchRefusal {
  status: StatusResponse;
  reason: string;
}

/** The refusal for a JSON-patch body the guard does not let through, or undefined. */
export function patchRefusal(guard: PatchGuard, info: RequestInfo, user: string, body: Buffer): PatchRefusal | undefined {
  const verdict = guard.check({ apiGroup: info.apiGroup, resource: info.resource }, body.toString('utf8'));
  if (verdict.ok) return undefined;
  const status = verdict.code === 403 ? forbidden(info, user, verdict.reason) : badRequest(verdict.reason);
  return { status, reason: verdict.reason };
}
