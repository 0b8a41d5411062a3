import { createHash } from 'node:crypto';

/** What a kgate configuration points at: the identity index is keyed by it. */
export interface Profile {
  /** The configured issuer, or '' when only workload tokens are used. */
  issuer: string;
  clientId: string;
  audience: string;
}

/** Who a cache entry belongs to: two identities never share an entry. */
export interface IdentityKey {
  issuer: string;
  clientId: string;
  audience: string;
  subject: string;
}

function digest(parts: readonly string[]): string {
  // NUL cannot appear in URLs or client ids, so distinct tuples never hash the same input.
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 40);
}

/** The cache key of one identity: a hash of issuer, client, audience and subject. */
export function cacheKey(id: IdentityKey): string {
  return `id-${digest([id.issuer, id.clientId, id.audience, id.subject])}`;
}

/** The key under which the current identity of a profile is recorded. */
export function profileKey(profile: Profile): string {
  return `p-${digest([profile.issuer, profile.clientId, profile.audience])}`;
}
