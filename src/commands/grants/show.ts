import { Args } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { GrantView } from '../../policy/client.js';
import { grantDetails } from '../../policy/render.js';

export default class GrantsShow extends KgateCommand<GrantView> {
  static override summary = 'Show one grant.';
  static override examples = ['<%= config.bin %> grants show k3x9…', '<%= config.bin %> grants show k3x9… --json'];
  static override args = { id: Args.string({ description: 'Grant id.', required: true }) };
  static override flags = { ...serverFlags };

  async run(): Promise<GrantView> {
    const { args, flags } = await this.parse(GrantsShow);
    const client = await openPolicyClient(flags);
    try {
      const grant = await client.getGrant(args.id);
      for (const line of grantDetails(grant)) this.say(line);
      return grant;
    } finally {
      await client.close();
    }
  }
}
