/**
 * Stage 2: what the request is. Pod connects (exec, attach, port-forward) belong to the exec
 * relay, SelfSubjectAccessReviews are answered with the guardrails in mind, everything else is
 * forwarded. Bodies kgate cannot read (Content-Encoding) are refused here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CanonicalRequest } from '../../kube/canonical.js';
import { execCommand, isConnect } from '../../kube/classify.js';
import { isUpgradeRequest } from '../../kube/headers.js';
import { requestInfo, type RequestInfo } from '../../kube/request-info.js';
import { statusResponse, type StatusResponse } from '../../kube/status.js';

/** Where a request goes after the guardrails allow it. */
export type RequestRoute = 'connect' | 'self-subject-access-review' | 'forward';

/** A canonical request with its RequestInfo and route. */
export interface ClassifiedRequest {
  canonical: CanonicalRequest;
  info: RequestInfo;
  route: RequestRoute;
  /** The exec command (empty unless pods/exec). */
  command: string[];
}

function isSelfSubjectAccessReview(info: RequestInfo): boolean {
  return info.isResourceRequest && info.verb === 'create' && info.apiGroup === 'authorization.k8s.io' && info.resource === 'selfsubjectaccessreviews' && info.subresource === '';
}

/** Classifies a canonical request by its RequestInfo and upgrade headers. */
export function classifyRequest(canonical: CanonicalRequest, headers: IncomingHttpHeaders): ClassifiedRequest {
  const info = requestInfo(canonical, { isUpgrade: isUpgradeRequest(headers) });
  const route: RequestRoute = isConnect(info) ? 'connect' : isSelfSubjectAccessReview(info) ? 'self-subject-access-review' : 'forward';
  return { canonical, info, route, command: info.subresource === 'exec' ? execCommand(canonical) : [] };
}

/** A 415 Status for a request body kgate cannot inspect (compressed), else undefined. */
export function unreadableBodyRefusal(headers: IncomingHttpHeaders): StatusResponse | undefined {
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return undefined;
  return statusResponse(415, 'UnsupportedMediaType', `kgate cannot inspect request bodies with Content-Encoding "${encoding}"; send them uncompressed`);
}

/** Whether the client announced a request body (a length above 0, or chunked framing). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length.trim() !== '0';
}
