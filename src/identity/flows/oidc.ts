import type * as OpenIdClientModule from 'openid-client';
import type { Configuration } from 'openid-client';
import { usageError } from '../../cli/errors.js';
import { idpError } from '../errors.js';
import { createIdpFetch } from '../http.js';
import type { IdentitySettings } from '../settings.js';

/** openid-client, loaded on demand so a cached token never pays for it. */
export type OpenIdClient = typeof OpenIdClientModule;

/** A discovered IdP and the client module to talk to it. */
export interface IdpConnection {
  client: OpenIdClient;
  config: Configuration;
  issuer: string;
}

/** Tolerated clock difference between this machine and the IdP, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 120;

/** The configured issuer, or a usage error that says how to configure one. */
export function requireIssuer(settings: IdentitySettings): string {
  if (settings.issuer) return settings.issuer;
  throw usageError('No issuer configured', [
    'Pass --issuer https://idp.example.com, set KGATE_ISSUER, or add "issuer: …" to config.yaml in the kgate config directory.',
  ]);
}

/**
 * Discovers the IdP (OIDC Discovery) and returns a configuration for `settings.clientId`,
 * authenticating with `secret` (client_secret_basic) or as a public client.
 */
export async function connect(settings: IdentitySettings, secret?: string): Promise<IdpConnection> {
  const issuer = requireIssuer(settings);
  const client = await import('openid-client');
  const fetch = await createIdpFetch(settings.caFile);
  const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
  try {
    const metadata = { client_id: settings.clientId, [client.clockTolerance]: CLOCK_TOLERANCE_SECONDS };
    const config = await client.discovery(new URL(issuer), settings.clientId, metadata, auth, {
      [client.customFetch]: fetch as never,
      timeout: 15,
    });
    return { client, config, issuer };
  } catch (error) {
    throw idpError(error, `the issuer ${issuer}`);
  }
}
