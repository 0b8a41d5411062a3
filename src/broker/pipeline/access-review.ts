/**
 * SelfSubjectAccessReview interception: `kubectl auth can-i` must not say "yes" for what the
 * guardrails refuse. The review's attributes are decided like a request; a deny or approve is
 * answered here (`allowed: false, denied: true` with the rule's words), anything else goes to the
 * apiserver, whose RBAC answer is then the truth. kubectl ≥ 1.32 sends these reviews as protobuf.
 */
import { decodeProtobufBody } from '../../kube/protobuf.js';
import { classifyContentType } from '../../kube/negotiate.js';
import type { RequestAttributes, RequestDecision } from '../../policy/evaluate-request.js';

/** Largest review body read; a real one is a few hundred bytes. */
export const MAX_REVIEW_BYTES = 64 * 1024;

/** A parsed review: the JSON object and the guardrail attributes it asks about. */
export type ParsedReview = { ok: true; review: Record<string, unknown>; attributes: RequestAttributes } | { ok: false; reason: string };

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function attributesOf(spec: Record<string, unknown>): RequestAttributes | undefined {
  const resource = spec['resourceAttributes'] as Record<string, unknown> | undefined;
  if (resource && typeof resource === 'object') {
    return { verb: text(resource['verb']), apiGroup: text(resource['group']), resource: text(resource['resource']), subresource: text(resource['subresource']), namespace: text(resource['namespace']), name: text(resource['name']) };
  }
  const nonResource = spec['nonResourceAttributes'] as Record<string, unknown> | undefined;
  if (nonResource && typeof nonResource === 'object') return { verb: text(nonResource['verb']), apiGroup: '', resource: '', subresource: '', namespace: '', name: '' };
  return undefined;
}

function parseObject(body: Buffer, contentType: string | undefined): Record<string, unknown> | string {
  const kind = classifyContentType(contentType);
  if (kind === 'protobuf') {
    const decoded = decodeProtobufBody(body);
    return decoded.ok ? decoded.object : decoded.message;
  }
  if (kind !== 'json' && kind !== 'none') return `a SelfSubjectAccessReview sent as ${contentType ?? ''} cannot be read`;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'the review is not a JSON object';
  } catch {
    return 'the review is not valid JSON';
  }
}

/** Reads a review body (JSON or protobuf) into its attributes. */
export function parseAccessReview(body: Buffer, contentType: string | undefined): ParsedReview {
  const review = parseObject(body, contentType);
  if (typeof review === 'string') return { ok: false, reason: review };
  if (review['kind'] !== undefined && review['kind'] !== 'SelfSubjectAccessReview') return { ok: false, reason: `expected a SelfSubjectAccessReview, got ${text(review['kind']) || 'another kind'}` };
  const spec = review['spec'];
  const attributes = spec && typeof spec === 'object' ? attributesOf(spec as Record<string, unknown>) : undefined;
  if (!attributes) return { ok: false, reason: 'the review names neither resourceAttributes nor nonResourceAttributes' };
  return { ok: true, review, attributes };
}

/** The apiserver-shaped answer to a review the guardrails refuse. */
export function refusedReview(review: Record<string, unknown>, apiVersion: string, reason: string): Record<string, unknown> {
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion,
    metadata: { creationTimestamp: null },
    spec: review['spec'],
    status: { allowed: false, denied: true, reason },
  };
}

/** Whether the guardrails answer the review themselves. */
export function answersLocally(decision: RequestDecision): boolean {
  return decision.effect !== 'allow';
}
