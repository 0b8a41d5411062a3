import { networkFailure } from '../../../src/cli/network-failure.js';

/** What fetch rejects with: a TypeError "fetch failed" whose cause chain holds the reason. */
const fetchFailed = (...chain: (Error & { code?: string })[]) => {
  const top = new TypeError('fetch failed');
  let at: Error = top;
  for (const cause of chain) {
    (at as Error & { cause?: unknown }).cause = cause;
    at = cause;
  }
  return top;
};
const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('networkFailure', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused', false],
    ['ENOTFOUND', 'host name not found', false],
    ['EAI_AGAIN', 'host name not found', false],
    ['ECONNRESET', 'connection reset', false],
    ['UND_ERR_CONNECT_TIMEOUT', 'timed out', false],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'certificate not trusted', true],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'certificate not trusted', true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'certificate not trusted', true],
    ['CERT_HAS_EXPIRED', 'certificate expired', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'certificate does not name this host', true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'TLS handshake failed (is it plain HTTP?)', false],
    ['EWHATEVER', 'network error', false],
  ])('names %s under "fetch failed" as %s', (code, reason, tls) => {
    expect(networkFailure(fetchFailed(coded(code)))).toEqual({ code, reason, tls });
  });

  it('takes the innermost code: undici wraps the TLS reason in an error of its own', () => {
    expect(networkFailure(fetchFailed(coded('UND_ERR_SOCKET'), coded('CERT_HAS_EXPIRED')))).toMatchObject({ code: 'CERT_HAS_EXPIRED', tls: true });
  });

  it('names a port the fetch standard blocks', () => {
    expect(networkFailure(fetchFailed(new Error('bad port')))).toEqual({ code: 'BAD_PORT', reason: 'a port fetch refuses to use', tls: false });
  });

  it('names a timeout signal and a bare "fetch failed"', () => {
    expect(networkFailure(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }))).toMatchObject({ code: 'TIMEOUT', reason: 'timed out' });
    expect(networkFailure(new TypeError('fetch failed'))).toEqual({ code: 'NETWORK', reason: 'network error', tls: false });
  });

  it('is undefined for errors that are not about the network', () => {
    expect(networkFailure(new Error('boom'))).toBeUndefined();
    expect(networkFailure(Object.assign(new Error('x'), { code: 'KGATE_USAGE' }))).toBeUndefined();
    expect(networkFailure(undefined)).toBeUndefined();
  });
});
