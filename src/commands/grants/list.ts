import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { GrantView } from '../../policy/client.js';
import { grantRows } from '../../policy/render.js';

export default class GrantsList extends KgateCommand<GrantView[]> {
  static override summary = 'List grants: your own, plus those you approve or govern.';
  static override examples = ['<%= config.bin %> grants list', '<%= config.bin %> grants list --state active --mine', '<%= config.bin %> grants list --json'];
  static override flags = {
    state: Flags.string({ summary: 'Only grants in these states (comma-separated).' }),
    cluster: Flags.string({ summary: 'Only grants on this cluster.' }),
    mine: Flags.boolean({ summary: 'Only your own grants.' }),
    ...serverFlags,
  };

  async run(): Promise<GrantView[]> {
    const { flags } = await this.parse(GrantsList);
    const client = await openPolicyClient(flags);
    try {
      const grants = await client.listGrants({ state: flags.state, cluster: flags.cluster, mine: flags.mine });
      if (grants.length === 0) this.say('No grants.');
      else for (const line of grantRows(grants)) this.say(line);
      return grants;
    } finally {
      await client.close();
    }
  }
}
