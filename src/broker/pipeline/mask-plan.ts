/**
 * Stage 6a: which masker a response needs, from the request and the response's headers. Every
 * body kgate lets through is masked: JSON by structure (streamed for lists and watches, buffered
 * for single objects), text by detectors; compressed or unknown bodies are refused because they
 * cannot be inspected.
 */
import type { RequestInfo } from '../../kube/request-info.js';

/** How a response body is masked. */
export type MaskPlan =
  | { kind: 'none' }
  | { kind: 'watch' }
  | { kind: 'list' }
  | { kind: 'object' }
  | { kind: 'text' }
  | { kind: 'refuse'; reason: string };

/** What the plan needs to know about the response. */
export interface ResponseShape {
  method: string;
  statusCode: number;
  contentType?: string;
  contentEncoding?: string;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

// Responses that carry no body by definition (RFC 9110 §6.4.1).
function bodyless(shape: ResponseShape): boolean {
  return shape.method === 'HEAD' || shape.statusCode === 204 || shape.statusCode === 304 || (shape.statusCode >= 100 && shape.statusCode < 200);
}

/** Chooses the masker for a response; `none` only for responses that cannot have a body. */
export function planMasking(info: Pick<RequestInfo, 'verb'>, shape: ResponseShape): MaskPlan {
  if (bodyless(shape)) return { kind: 'none' };
  const encoding = (shape.contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') return { kind: 'refuse', reason: `the apiserver sent a body with Content-Encoding "${encoding}", which kgate cannot inspect` };
  const type = mediaType(shape.contentType);
  // A failed watch or list answers with one Status object, not a stream.
  const ok = shape.statusCode >= 200 && shape.statusCode < 300;
  if (isJson(type)) {
    if (ok && info.verb === 'watch') return { kind: 'watch' };
    if (ok && info.verb === 'list') return { kind: 'list' };
    return { kind: 'object' };
  }
  if (type.startsWith('text/')) return { kind: 'text' };
  if (type === '') return { kind: 'text' };
  return { kind: 'refuse', reason: `the apiserver answered with Content-Type "${type}", which kgate cannot inspect` };
}

/** Whether the masked stream starts at once: long-lived streams may stay quiet for hours. */
export function streamsImmediately(plan: MaskPlan): boolean {
  return plan.kind === 'watch' || plan.kind === 'text';
}
