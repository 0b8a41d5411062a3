import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import type { GrantTemplateView } from '../policy/client.js';
import { templateRows } from '../policy/render-discovery.js';

export default class Templates extends KgateCommand<GrantTemplateView[]> {
  static override summary = 'List the grant templates you may request: clusters, role, namespaces, approval and TTLs.';
  static override description = 'Asks the policy service, which offers exactly what it would grant you (templates you may not request are not listed). APPROVAL is who must approve (N of GROUPS), none, or break-glass only; TTL is the default lifetime, MAX TTL the longest you may ask for with --ttl. Request one with kgate grants request --grant NAME, or use it with kgate exec --grant NAME.';
  static override examples = ['<%= config.bin %> templates', '<%= config.bin %> templates --cluster prod --json'];
  static override flags = {
    cluster: Flags.string({ summary: 'Only templates offered on this cluster.' }),
    ...serverFlags,
  };

  async run(): Promise<GrantTemplateView[]> {
    const { flags } = await this.parse(Templates);
    const client = await openPolicyClient(flags);
    try {
      const templates = await client.grantTemplates(flags.cluster);
      if (templates.length === 0) this.say(flags.cluster ? `No grant template is offered to you on ${flags.cluster}.` : 'No grant template is offered to you.');
      else for (const line of templateRows(templates)) this.say(line);
      return templates;
    } finally {
      await client.close();
    }
  }
}
