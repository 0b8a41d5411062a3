/**
 * Why a connection failed, in a few stable words. `fetch` reports every failure as "fetch failed"
 * and keeps the reason in a chain of causes (undici's error, then Node's or OpenSSL's code); this
 * walks the chain and names the reason: an untrusted certificate, a refused connection, an unknown
 * host. Pure.
 */

/** A failure to connect, named. */
export interface NetworkFailure {
  /** The lower layer's code, e.g. `ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`, or `TIMEOUT`. */
  code: string;
  /** A few words for a person: `connection refused`, `certificate not trusted`. */
  reason: string;
  /** The server's certificate was the problem: trusting a CA (KGATE_CA_FILE) may fix it. */
  tls: boolean;
}

type Cause = { code?: unknown; name?: unknown; cause?: unknown };

const REASONS: [RegExp, string, boolean][] = [
  [/^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/, 'certificate not trusted', true],
  [/^CERT_HAS_EXPIRED$/, 'certificate expired', true],
  [/^CERT_NOT_YET_VALID$/, 'certificate not yet valid', true],
  [/^CERT_REVOKED$/, 'certificate revoked', true],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, 'certificate does not name this host', true],
  [/CERT|SELF_SIGNED|UNABLE_TO_/, 'certificate rejected', true],
  [/^(ERR_SSL_WRONG_VERSION_NUMBER|EPROTO|ERR_SSL_.*)$/, 'TLS handshake failed (is it plain HTTP?)', false],
  [/^ECONNREFUSED$/, 'connection refused', false],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/, 'host name not found', false],
  [/^ECONNRESET$/, 'connection reset', false],
  [/^(EHOSTUNREACH|ENETUNREACH)$/, 'host unreachable', false],
  [/^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|TIMEOUT)$/, 'timed out', false],
  [/^UND_ERR_SOCKET$/, 'connection closed', false],
  [/^ABORTED$/, 'aborted', false],
  [/^BAD_PORT$/, 'a port fetch refuses to use', false],
];

/**
 * The named reason of a failed request, or undefined when `error` is no network failure (an
 * error of kgate's own, or of the answer).
 */
export function networkFailure(error: unknown): NetworkFailure | undefined {
  let code: string | undefined;
  let cause = error as Cause | undefined;
  // The innermost code is the real reason: undici wraps OpenSSL's code in UND_ERR_* errors.
  for (let depth = 0; cause && typeof cause === 'object' && depth < 6; depth += 1) {
    if (typeof cause.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(cause.code) && !cause.code.startsWith('KGATE_')) code = cause.code;
    if (code === undefined && cause.name === 'TimeoutError') code = 'TIMEOUT';
    if (code === undefined && cause.name === 'AbortError') code = 'ABORTED';
    // The fetch standard refuses some ports (1, 9, 25, 6000…) before connecting, without a code.
    if (code === undefined && (cause as { message?: unknown }).message === 'bad port') code = 'BAD_PORT';
    cause = cause.cause as Cause | undefined;
  }
  if (code === undefined) {
    const fetchFailed = error instanceof TypeError && error.message === 'fetch failed';
    return fetchFailed ? { code: 'NETWORK', reason: 'network error', tls: false } : undefined;
  }
  const match = REASONS.find(([pattern]) => pattern.test(code));
  return match ? { code, reason: match[1], tls: match[2] } : { code, reason: 'network error', tls: false };
}
