import type { IdentitySettings } from '../settings.js';
import type { SessionRecord } from '../session-record.js';
import { idpError, loginNeeded } from '../errors.js';
import { connect } from './oidc.js';
import { displayName, groupsOf, recordFromTokens } from './tokens.js';

/**
 * Exchanges the record's refresh token (RFC 6749 §6). Rotating IdPs return a new refresh token
 * and revoke the old one, so the caller must hold the refresh lock and store the result at once.
 */
export async function refreshSession(settings: IdentitySettings, record: SessionRecord, nowSeconds: number): Promise<SessionRecord> {
  const own = { ...settings, issuer: record.issuer, clientId: record.clientId };
  const { client, config, issuer } = await connect(own);
  try {
    const tokens = await client.refreshTokenGrant(config, record.refreshToken!);
    const idClaims = tokens.id_token ? tokens.claims() : undefined;
    const next = recordFromTokens(tokens, { method: record.method, issuer, clientId: record.clientId, audience: record.audience, now: nowSeconds, idClaims });
    return {
      ...next,
      refreshToken: tokens.refresh_token ?? record.refreshToken,
      name: idClaims ? displayName(idClaims) ?? record.name : record.name ?? next.name,
      groups: idClaims ? groupsOf(idClaims) : next.groups.length ? next.groups : record.groups,
    };
  } catch (error) {
    if ((error as { error?: string }).error === 'invalid_grant') {
      throw loginNeeded(`your session at ${issuer} has ended (the refresh token was rejected)`, issuer);
    }
    throw idpError(error, `the issuer ${issuer}`);
  }
}

/** Outcome of {@link revokeRefreshToken}. */
export type Revocation = 'revoked' | 'unsupported' | { failed: string };

/** Revokes the record's refresh token (RFC 7009) where the IdP advertises a revocation endpoint. */
export async function revokeRefreshToken(settings: IdentitySettings, record: SessionRecord): Promise<Revocation> {
  try {
    const { client, config } = await connect({ ...settings, issuer: record.issuer, clientId: record.clientId });
    if (!config.serverMetadata().revocation_endpoint) return 'unsupported';
    await client.tokenRevocation(config, record.refreshToken!, { token_type_hint: 'refresh_token' });
    return 'revoked';
  } catch (error) {
    return { failed: idpError(error, `the issuer ${record.issuer}`).message };
  }
}
