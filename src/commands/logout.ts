import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { resolvePaths } from '../cli/paths.js';
import { removeCachedCredentials } from '../broker/context/credential-cache.js';
import { identityFlags } from '../identity/command-flags.js';
import { openIdentity } from '../identity/context.js';
import { logout, type LogoutResult } from '../identity/logout.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import { endedGrantsExit, endOwnGrants, type EndedGrants } from '../policy/end-grants.js';

const REVOCATION = {
  revoked: 'the refresh token was revoked at the IdP',
  unsupported: 'the IdP offers no revocation endpoint; the refresh token stays valid there until it expires',
  failed: 'revoking at the IdP failed (see the warning above)',
  none: 'there was no refresh token to revoke',
} as const;

/** What `kgate logout` did, with the grants it ended when asked to. */
export type LogoutCommandResult = LogoutResult & { grants?: EndedGrants };

export default class Logout extends KgateCommand<LogoutCommandResult> {
  static override summary = 'Sign out: revoke the refresh token at the IdP and remove local tokens.';
  static override description = `Revocation follows RFC 7009 where the IdP advertises a revocation endpoint. Local copies are removed in any case. Running it again is harmless.

Gateway credentials cached for kubectl contexts are removed, and revoked at the policy service where it answers (they end with their grant, or after 15 minutes, in any case).

With --end-grants, your active and pending grants are revoked at the policy service first. If that fails (service unreachable, no login), kgate says so, still signs out, and exits with the failure's code (6 unreachable, 4 login needed, 1 a grant could not be revoked) so a script notices grants may still be live.`;
  static override examples = ['<%= config.bin %> logout', '<%= config.bin %> logout --end-grants', '<%= config.bin %> logout --json'];
  static override flags = {
    'end-grants': Flags.boolean({ summary: 'Also revoke your active and pending grants at the policy service first.' }),
    server: serverFlags.server,
    'insecure-http-server': serverFlags['insecure-http-server'],
    ...identityFlags,
  };

  async run(): Promise<LogoutCommandResult> {
    const { flags } = await this.parse(Logout);
    const grants = flags['end-grants'] ? await this.endGrants(flags) : undefined;
    await this.dropGatewayCredentials(flags, grants !== undefined && !grants.unavailable);
    const { settings, session, warn } = await openIdentity(flags);
    const result = await logout(session, settings, warn);
    if (!result.loggedOut) {
      this.say('Not logged in; nothing to do.');
    } else {
      this.say(`Logged out ${result.subject} at ${result.issuer}: local tokens removed; ${REVOCATION[result.revocation]}.`);
    }
    if (grants) process.exitCode = endedGrantsExit(grants);
    return grants ? { ...result, grants } : result;
  }

  /** Removes the kubectl contexts' cached gateway credentials; revokes them unless their grants just ended. */
  private async dropGatewayCredentials(flags: Parameters<typeof openPolicyClient>[0], grantsEnded: boolean): Promise<void> {
    const cached = await removeCachedCredentials(resolvePaths().state);
    if (cached.length === 0 || grantsEnded) return;
    try {
      const client = await openPolicyClient(flags);
      try {
        for (const c of cached.filter((c) => c.expiresAt > Date.now())) {
          await client.revokeGatewayCredential(c.id).catch((error: Error) => process.stderr.write(`kgate: warning: could not revoke gateway credential ${c.id} (${error.message}); it ends within 15 minutes.\n`));
        }
      } finally {
        await client.close();
      }
    } catch (error) {
      process.stderr.write(`kgate: warning: removed the cached gateway credentials but could not revoke them (${(error as Error).message}); they end within 15 minutes.\n`);
    }
  }

  private async endGrants(flags: Parameters<typeof endOwnGrants>[0]): Promise<EndedGrants> {
    const ended = await endOwnGrants(flags);
    if (ended.unavailable) {
      process.stderr.write(`kgate: warning: could not end your grants (${ended.unavailable.message}); they stay active until they expire or someone runs kgate grants revoke. Signing out anyway.\n`);
      return ended;
    }
    for (const g of ended.revoked) this.say(`Revoked ${g.was} grant ${g.id} (${g.template} on ${g.cluster}).`);
    for (const f of ended.failed) process.stderr.write(`kgate: warning: could not revoke grant ${f.id}: ${f.message}\n`);
    if (ended.revoked.length === 0 && ended.failed.length === 0) this.say('No active or pending grants to end.');
    return ended;
  }
}
