import { KgateCommand } from '../cli/base-command.js';
import { identityFlags } from '../identity/command-flags.js';
import { openIdentity } from '../identity/context.js';
import { logout, type LogoutResult } from '../identity/logout.js';

const REVOCATION = {
  revoked: 'the refresh token was revoked at the IdP',
  unsupported: 'the IdP offers no revocation endpoint; the refresh token stays valid there until it expires',
  failed: 'revoking at the IdP failed (see the warning above)',
  none: 'there was no refresh token to revoke',
} as const;

export default class Logout extends KgateCommand<LogoutResult> {
  static override summary = 'Sign out: revoke the refresh token at the IdP and remove local tokens.';
  static override description = 'Revocation follows RFC 7009 where the IdP advertises a revocation endpoint. Local copies are removed in any case. Running it again is harmless.';
  static override examples = ['<%= config.bin %> logout', '<%= config.bin %> logout --json'];
  static override flags = { ...identityFlags };

  async run(): Promise<LogoutResult> {
    const { flags } = await this.parse(Logout);
    const { settings, session, warn } = await openIdentity(flags);
    const result = await logout(session, settings, warn);
    if (!result.loggedOut) {
      this.say('Not logged in; nothing to do.');
    } else {
      this.say(`Logged out ${result.subject} at ${result.issuer}: local tokens removed; ${REVOCATION[result.revocation]}.`);
    }
    return result;
  }
}
