import { KgateCommand } from '../cli/base-command.js';
import { identityFlags } from '../identity/command-flags.js';
import { openIdentity } from '../identity/context.js';
import { describeIdentity, type Identity } from '../identity/identity.js';

export default class Whoami extends KgateCommand<Identity> {
  static override summary = 'Show who kgate acts as: issuer, subject, human or workload, groups, expiry.';
  static override description = 'Uses the cached login and renews an expiring token first (one refresh even when many processes ask at once). Never prompts: exits 4 when a login is needed. The token itself is never shown, only a fingerprint.';
  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --json'];
  static override flags = { ...identityFlags };

  async run(): Promise<Identity> {
    const { flags } = await this.parse(Whoami);
    const { session } = await openIdentity(flags);
    const { principal } = await session.getToken();
    this.say(describeIdentity(principal));
    this.say(`Type:     ${principal.type}`);
    this.say(`Subject:  ${principal.subject}`);
    this.say(`Groups:   ${principal.groups.join(', ') || '(none)'}`);
    if (principal.expiresAt) this.say(`Expires:  ${principal.expiresAt}`);
    this.say(`Token:    ${principal.tokenFingerprint ?? '(none)'} (fingerprint), kept in the ${principal.storage} store`);
    return principal;
  }
}
