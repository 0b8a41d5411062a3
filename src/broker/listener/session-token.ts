/**
 * Per-session bearer tokens: the only secret a caller of the local listener holds. They are
 * random, never derived from a cluster or identity credential, and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Decides whether a presented bearer token belongs to a live session. */
export type SessionTokenVerifier = (candidate: string) => boolean;

/** A fresh session token: 32 random bytes, base64url without padding (43 characters). */
export function createSessionToken(random: (size: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

// Hashing first gives both sides the same length, so neither the comparison nor an early
// length check tells an attacker how long the real token is.
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time equality of two tokens (whatever their lengths). */
export function sessionTokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * A verifier for a fixed set of tokens. Every token is compared, so the time taken does not
 * reveal which one matched or how many there are before it.
 */
export function sessionTokenVerifier(tokens: Iterable<string>): SessionTokenVerifier {
  const digests = [...tokens].map(digest);
  return (candidate) => {
    const presented = digest(candidate);
    let matched = false;
    for (const known of digests) matched = timingSafeEqual(known, presented) || matched;
    return matched;
  };
}
