import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** How often the IdP's endpoints were used, for tests that assert how many round trips a client made. */
export interface IdpStats {
  /** Successful token endpoint requests by `grant_type` (e.g. `refresh_token`). */
  grants: Record<string, number>;
  /** Failed token endpoint requests by `grant_type` (`unknown` when none was sent). */
  grantErrors: Record<string, number>;
  /** Successful device authorization requests (RFC 8628 §3.1). */
  deviceAuthorizations: number;
}

function grantTypeOf(ctx: KoaContextWithOIDC): string {
  const grantType = ctx.oidc?.params?.grant_type;
  return typeof grantType === 'string' ? grantType : 'unknown';
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Counts token grants and device authorizations from the provider's events; returns a snapshot function. */
export function countGrants(provider: Provider): () => IdpStats {
  const stats: IdpStats = { grants: {}, grantErrors: {}, deviceAuthorizations: 0 };
  provider.on('grant.success', (ctx) => increment(stats.grants, grantTypeOf(ctx)));
  provider.on('grant.error', (ctx) => increment(stats.grantErrors, grantTypeOf(ctx)));
  provider.on('device_authorization.success', () => {
    stats.deviceAuthorizations += 1;
  });
  return () => ({
    grants: { ...stats.grants },
    grantErrors: { ...stats.grantErrors },
    deviceAuthorizations: stats.deviceAuthorizations,
  });
}
