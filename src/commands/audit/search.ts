import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { timeFlag } from '../../cli/time-flag.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { AuditPage } from '../../policy/client.js';
import { auditRows } from '../../policy/render.js';

export default class AuditSearch extends KgateCommand<AuditPage> {
  static override summary = 'Search audit events (newest first).';
  static override description = 'Approvers and break-glass members see everyone\'s events; others see their own. Times are RFC 3339 or how long ago (--from 1h); --from is inclusive, --to exclusive. Continue with --cursor NEXT.';
  static override examples = [
    '<%= config.bin %> audit search --grant k3x9… --json',
    '<%= config.bin %> audit search --from 2025-01-01T00:00:00Z --verb delete --namespace prod',
    '<%= config.bin %> audit search --from 1h --decision deny',
  ];
  static override flags = {
    from: timeFlag('Earliest time (inclusive):'),
    to: timeFlag('Latest time (exclusive):'),
    principal: Flags.string({ summary: 'Principal id (issuer#subject).' }),
    grant: Flags.string({ summary: 'Grant id.' }),
    cluster: Flags.string({ summary: 'Cluster name.' }),
    verb: Flags.string({ summary: 'Kubernetes verb (get, list, create, delete…) or service action.' }),
    resource: Flags.string({ summary: 'Resource, or resource/subresource.' }),
    namespace: Flags.string({ summary: 'Namespace.' }),
    decision: Flags.string({ summary: 'Decision (allow, deny, approve, active, revoked…).' }),
    limit: Flags.integer({ summary: 'Events per page.', min: 1, max: 1000, default: 50 }),
    cursor: Flags.string({ summary: 'Continue after the previous page.' }),
    ...serverFlags,
  };

  async run(): Promise<AuditPage> {
    const { flags } = await this.parse(AuditSearch);
    const client = await openPolicyClient(flags);
    try {
      const { from, to, principal, grant, cluster, verb, resource, namespace, decision, limit, cursor } = flags;
      const page = await client.searchAudit({ from, to, principal, grant, cluster, verb, resource, namespace, decision, limit, cursor });
      if (page.items.length === 0) this.say('No matching events.');
      else for (const line of auditRows(page.items)) this.say(line);
      if (page.next) this.say(`More: --cursor ${page.next}`);
      return page;
    } finally {
      await client.close();
    }
  }
}
