import { usageError } from '../../cli/errors.js';
import type { IdentitySettings } from '../settings.js';
import type { SessionRecord } from '../session-record.js';
import { idpError } from '../errors.js';
import type { FlowIo } from './flow-io.js';
import { connect } from './oidc.js';
import { recordFromTokens } from './tokens.js';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) with client_secret_basic. The secret comes
 * from KGATE_CLIENT_SECRET(_FILE), the config file or --client-secret-file; --client-secret
 * works but warns, since a flag shows in the process list.
 */
export async function clientCredentialsLogin(settings: IdentitySettings, io: FlowIo): Promise<SessionRecord> {
  const secret = await settings.clientSecret();
  if (!secret) {
    throw usageError(`No client secret for client "${settings.clientId}"`, [
      'Set KGATE_CLIENT_SECRET_FILE=/path/to/secret (or KGATE_CLIENT_SECRET) and KGATE_CLIENT_ID.',
    ]);
  }
  if (secret.source === 'flag') io.notify('kgate: warning: --client-secret is visible in the process list; prefer KGATE_CLIENT_SECRET_FILE');
  const { client, config, issuer } = await connect(settings, secret.value);
  try {
    const parameters: Record<string, string> = settings.explicitScopes ? { scope: settings.scopes.join(' ') } : {};
    const tokens = await client.clientCredentialsGrant(config, parameters);
    return recordFromTokens(tokens, {
      method: 'client-credentials', issuer, clientId: settings.clientId, audience: settings.audience, now: io.now() / 1000,
    });
  } catch (error) {
    throw idpError(error, `the issuer ${issuer}`);
  }
}
