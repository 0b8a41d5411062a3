import type { IdentitySession } from './session.js';
import type { IdentitySettings } from './settings.js';

/** What `kgate logout` did. */
export interface LogoutResult {
  /** False when there was no login to remove (logout is idempotent). */
  loggedOut: boolean;
  issuer?: string;
  subject?: string;
  /** What happened to the refresh token at the IdP (RFC 7009). */
  revocation: 'revoked' | 'unsupported' | 'failed' | 'none';
}

/**
 * Revokes the refresh token at the IdP where it advertises a revocation endpoint, then removes
 * the local copies whatever the IdP said: a failed revocation must not leave a usable token here.
 */
export async function logout(session: IdentitySession, settings: IdentitySettings, warn: (line: string) => void): Promise<LogoutResult> {
  const lookup = await session.store.lookup(session.profile);
  if (lookup.kind !== 'found') return { loggedOut: false, revocation: 'none' };
  const { record, location } = lookup.session;
  let revocation: LogoutResult['revocation'] = 'none';
  if (record.refreshToken) {
    const { revokeRefreshToken } = await import('./flows/refresh.js');
    const outcome = await revokeRefreshToken(settings, record);
    if (typeof outcome === 'object') {
      warn(`kgate: warning: could not revoke the refresh token at the IdP: ${outcome.failed}`);
      revocation = 'failed';
    } else {
      revocation = outcome;
    }
  }
  await session.store.forget(session.profile, location);
  return { loggedOut: true, issuer: record.issuer, subject: record.subject, revocation };
}
