import { ExitCode, KgateError } from '../../cli/errors.js';
import type { IdentitySettings } from '../settings.js';
import type { SessionRecord } from '../session-record.js';
import { idpError } from '../errors.js';
import type { FlowIo } from './flow-io.js';
import { startLoopback, type Callback } from './loopback.js';
import { connect } from './oidc.js';
import { recordFromTokens } from './tokens.js';

/** Options of {@link browserLogin}. */
export interface BrowserLoginOptions {
  /** Open the URL with the system browser (the caller checked that a person is present). */
  open: boolean;
  timeoutMs: number;
}

/**
 * Authorization code + PKCE (S256) with a loopback redirect on a random port. State and nonce
 * are random and checked; the URL is always printed so a person can open it by hand.
 */
export async function browserLogin(settings: IdentitySettings, io: FlowIo, options: BrowserLoginOptions): Promise<SessionRecord> {
  const { client, config, issuer } = await connect(settings);
  const loopback = await startLoopback();
  let callback: Callback | undefined;
  try {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: loopback.redirectUri,
      scope: settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    // OIDC Core §11: offline_access (a refresh token) is only granted with prompt=consent.
    if (settings.scopes.includes('offline_access')) params.prompt = 'consent';
    const url = client.buildAuthorizationUrl(config, params).href;
    io.notify(`To sign in, open this URL in your browser: ${url}`);
    if (options.open) await io.openUrl(url);
    callback = await loopback.next(state, options.timeoutMs, io.signal);
    const tokens = await client.authorizationCodeGrant(config, callback.url, {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    const record = recordFromTokens(tokens, {
      method: 'browser', issuer, clientId: settings.clientId, audience: settings.audience, now: io.now() / 1000, idClaims: tokens.claims(),
    });
    await callback.respond(200, 'Signed in to kgate. You can close this window.');
    return record;
  } catch (error) {
    await callback?.respond(400, 'kgate sign-in failed; see the terminal.');
    if ((error as Error).name === 'LoginTimeoutError') {
      throw new KgateError(`Sign-in was not completed within ${Math.round(options.timeoutMs / 1000)} s`, {
        code: 'KGATE_LOGIN_TIMEOUT', exit: ExitCode.LoginNeeded,
        suggestions: ['Run kgate login again, or kgate login --device to sign in from another device.'],
      });
    }
    throw idpError(error, `the issuer ${issuer}`);
  } finally {
    await loopback.close();
  }
}
