import { createHash } from 'node:crypto';

/** The claims kgate reads from a token. Decoding does not verify; the policy service does. */
export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  [claim: string]: unknown;
}

/** A compact JWS that is not shaped like a JWT. */
export class MalformedTokenError extends Error {
  override readonly name = 'MalformedTokenError';
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Decodes a JWT's payload without verifying it (cheap, no crypto library on the hot path).
 * Throws {@link MalformedTokenError} when it is not three base64url JSON segments.
 */
export function decodeClaims(token: string): TokenClaims {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) {
    throw new MalformedTokenError('is not a JWT (expected three base64url parts separated by dots)');
  }
  const header = parseSegment(parts[0]!);
  if (typeof header.alg !== 'string' || header.alg === 'none') throw new MalformedTokenError('has no signature algorithm');
  return parseSegment(parts[1]!) as TokenClaims;
}

function parseSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedTokenError('has a part that is not base64url JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new MalformedTokenError('has a part that is not a JSON object');
  return value as Record<string, unknown>;
}

/** The audiences of a token as a list. */
export function audiencesOf(claims: TokenClaims): string[] {
  if (typeof claims.aud === 'string') return [claims.aud];
  return Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : [];
}

/** A short, non-reversible name for a token, safe to show: `sha256:` and 12 hex digits. */
export function fingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}
