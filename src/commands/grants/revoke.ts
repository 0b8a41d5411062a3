import { Args, Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { GrantView } from '../../policy/client.js';
import { describeGrant } from '../../policy/render.js';

export default class GrantsRevoke extends KgateCommand<GrantView> {
  static override summary = 'Revoke a grant now: its cluster bindings are deleted before this returns.';
  static override description = 'The owner, the grant\'s approvers and its break-glass group may revoke.';
  static override examples = ['<%= config.bin %> grants revoke k3x9… --reason "done"'];
  static override args = { id: Args.string({ description: 'Grant id.', required: true }) };
  static override flags = { reason: Flags.string({ summary: 'Why (kept in the audit trail).' }), ...serverFlags };

  async run(): Promise<GrantView> {
    const { args, flags } = await this.parse(GrantsRevoke);
    const client = await openPolicyClient(flags);
    try {
      const grant = await client.revokeGrant(args.id, flags.reason);
      this.say(describeGrant(grant));
      return grant;
    } finally {
      await client.close();
    }
  }
}
