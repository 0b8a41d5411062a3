/**
 * The upstream credential: one token reused until shortly before it expires, and one refresh
 * shared by concurrent callers when the apiserver rejects it.
 */
import type { UpstreamToken } from './types.js';

/** Renew this long before expiry, so a token never expires in flight. */
const EXPIRY_SKEW_MS = 30_000;

/** A cached token source. */
export interface TokenSource {
  /** A token valid for a while yet. */
  current(): Promise<string>;
  /** Fetches a new token (after a 401), shared by callers that ask at the same time. */
  refresh(): Promise<string>;
  /** Forgets the cached token, so the next request fetches one (the grant behind it changed). */
  invalidate(): void;
}

/** Caches what `fetch` returns until `EXPIRY_SKEW_MS` before its expiry. */
export function createTokenSource(fetch: () => Promise<UpstreamToken>, now: () => number): TokenSource {
  let cached: UpstreamToken | undefined;
  let inflight: Promise<string> | undefined;
  const refresh = (): Promise<string> => {
    inflight ??= fetch().then(
      (fresh) => {
        cached = fresh;
        inflight = undefined;
        return fresh.token;
      },
      (error: unknown) => {
        inflight = undefined;
        throw error;
      },
    );
    return inflight;
  };
  return {
    current: () => (cached && cached.expiresAt - EXPIRY_SKEW_MS > now() ? Promise.resolve(cached.token) : refresh()),
    refresh,
    invalidate: () => {
      cached = undefined;
    },
  };
}
