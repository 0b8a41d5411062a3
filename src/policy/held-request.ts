/**
 * A request held for approval, exactly as the gate would forward it: the method, the canonical URL
 * (target, exec argv, container and options all travel in it), the Content-Type and the body bytes.
 * Approvers are shown this, and the approval is bound to its digest, so the request that runs is
 * the one that was approved, byte for byte. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { canonicalizeRequest, DEFAULT_MAX_URL_LENGTH, type CanonicalRequest } from '../kube/canonical.js';

/**
 * The largest body a request held for approval may carry (256 KiB). A larger one is refused before
 * any approval is opened: approvers must be able to read what they approve, and the service keeps
 * the body until the approval is decided.
 */
export const MAX_HELD_BODY_BYTES = 256 * 1024;

/** The longest canonical URL a held request may have (the gate's own limit on request targets). */
export const MAX_HELD_URL_LENGTH = DEFAULT_MAX_URL_LENGTH;

/** The longest Content-Type kept with a held request. */
export const MAX_HELD_CONTENT_TYPE_LENGTH = 256;

/** A held request on the wire (`POST /v1/approvals` `request`) and in the store. */
export interface HeldRequestDetail {
  /** The method forwarded upstream (`GET` for a WebSocket exec, `PATCH` for a patch, …). */
  method: string;
  /** The canonical request target forwarded upstream: path and query, with the exec `command`s. */
  url: string;
  /** The Content-Type header forwarded with the body, as sent. */
  contentType?: string;
  /** The body bytes, base64 (standard alphabet, padded). */
  body?: string;
}

/** A problem that keeps a request from being held, with the HTTP status that refuses it. */
export interface HeldRequestProblem {
  code: 400 | 413 | 415;
  message: string;
}

const DIGEST_DOMAIN = 'kgate.dev/held-request/v1';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CONTENT_TYPE = /^[\x21-\x7e][\x20-\x7e]*$/;

/** The detail of a request about to be held. */
export function heldRequestDetail(request: { method: string; url: string; contentType?: string | undefined; body?: Buffer | undefined }): HeldRequestDetail {
  return {
    method: request.method,
    url: request.url,
    ...(request.contentType !== undefined ? { contentType: request.contentType } : {}),
    ...(request.body?.length ? { body: request.body.toString('base64') } : {}),
  };
}

/** The body bytes of `detail` (empty when it has none); the base64 must be canonical. */
export function heldBody(detail: HeldRequestDetail): Buffer {
  if (detail.body === undefined) return Buffer.alloc(0);
  const bytes = Buffer.from(detail.body, 'base64');
  // Node's decoder skips what it cannot read; only the canonical spelling has one meaning.
  if (!BASE64.test(detail.body) || bytes.toString('base64') !== detail.body) throw new TypeError('the body is not canonical base64');
  return bytes;
}

/**
 * `sha256:<hex>` over the method, URL, Content-Type and body bytes, in an encoding where no two
 * requests share a preimage. The approval stores it; the gate releases a request only when the
 * approval's digest is this request's.
 */
export function heldRequestDigest(detail: HeldRequestDetail): string {
  const body = heldBody(detail);
  const bodyDigest = body.length ? createHash('sha256').update(body).digest('hex') : '';
  const preimage = JSON.stringify([DIGEST_DOMAIN, detail.method, detail.url, detail.contentType ?? '', bodyDigest]);
  return `sha256:${createHash('sha256').update(preimage).digest('hex')}`;
}

function tooLarge(size: string): HeldRequestProblem {
  return { code: 413, message: `a request held for approval may carry at most ${MAX_HELD_BODY_BYTES} bytes (256 KiB) of body, so approvers can read it; ${size}` };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, or undefined when it is not UTF-8. */
export function bodyText(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * Why a body cannot be held for approval: larger than {@link MAX_HELD_BODY_BYTES}, or not UTF-8
 * text (a protobuf body approvers could not read). Undefined when it can.
 */
export function heldBodyProblem(body: Buffer): HeldRequestProblem | undefined {
  if (body.length > MAX_HELD_BODY_BYTES) return tooLarge(`this one has ${body.length}`);
  if (bodyText(body) === undefined) {
    return { code: 415, message: 'a request held for approval must have a UTF-8 text body (JSON or YAML) so approvers can read it; send it as JSON' };
  }
  return undefined;
}

/**
 * Checks a detail received over the API: a canonical target (one meaning, as the gate forwards
 * it), a printable Content-Type, and a body within the limits. Returns the canonical request.
 */
export function checkHeldRequest(detail: HeldRequestDetail): { ok: true; canonical: CanonicalRequest } | { ok: false; problem: HeldRequestProblem } {
  const refuse = (code: HeldRequestProblem['code'], message: string) => ({ ok: false as const, problem: { code, message } });
  const canonical = canonicalizeRequest(detail.method, detail.url, { maxUrlLength: MAX_HELD_URL_LENGTH });
  if (!canonical.ok) return refuse(400, `request.url: ${canonical.reason}`);
  if (canonical.request.url !== detail.url) return refuse(400, 'request.url: expected the canonical request target, as the gate forwards it');
  if (detail.contentType !== undefined && (detail.contentType.length > MAX_HELD_CONTENT_TYPE_LENGTH || !CONTENT_TYPE.test(detail.contentType))) {
    return refuse(400, `request.contentType: expected a printable header value of at most ${MAX_HELD_CONTENT_TYPE_LENGTH} characters`);
  }
  if (detail.body !== undefined) {
    // Checked on the encoded length first, so an oversized body is never decoded.
    if (detail.body.length > Math.ceil(MAX_HELD_BODY_BYTES / 3) * 4) return { ok: false, problem: tooLarge(`this one has about ${Math.floor((detail.body.length * 3) / 4)}`) };
    let body: Buffer;
    try {
      body = heldBody(detail);
    } catch (error) {
      return refuse(400, `request.body: ${(error as Error).message}`);
    }
    const problem = heldBodyProblem(body);
    if (problem) return { ok: false, problem };
  }
  return { ok: true, canonical: canonical.request };
}
