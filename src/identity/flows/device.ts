import type { IdentitySettings } from '../settings.js';
import type { SessionRecord } from '../session-record.js';
import { idpError } from '../errors.js';
import type { FlowIo } from './flow-io.js';
import { connect } from './oidc.js';
import { recordFromTokens } from './tokens.js';

/**
 * RFC 8628 device authorization: prints the verification URL and user code on stderr, opens
 * the browser only when `open` is set (the caller checked that a person is present), and polls
 * at the server's `interval`, slowing down on `slow_down` (openid-client adds 5 s each time).
 */
export async function deviceLogin(settings: IdentitySettings, io: FlowIo, open: boolean): Promise<SessionRecord> {
  const { client, config, issuer } = await connect(settings);
  try {
    const device = await client.initiateDeviceAuthorization(config, { scope: settings.scopes.join(' ') });
    io.notify(`To sign in, open ${device.verification_uri} and enter the code ${device.user_code}`);
    if (device.verification_uri_complete) io.notify(`(or open ${device.verification_uri_complete})`);
    if (open) await io.openUrl(device.verification_uri_complete ?? device.verification_uri);
    io.notify('Waiting for you to approve the sign-in…');
    const tokens = await client.pollDeviceAuthorizationGrant(config, device, undefined, { signal: io.signal });
    return recordFromTokens(tokens, {
      method: 'device', issuer, clientId: settings.clientId, audience: settings.audience, now: io.now() / 1000, idClaims: tokens.claims(),
    });
  } catch (error) {
    throw idpError(error, `the issuer ${issuer}`);
  }
}
