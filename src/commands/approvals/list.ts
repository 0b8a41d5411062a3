import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { ApprovalView } from '../../policy/client.js';
import { approvalRows, highlightStyle } from '../../policy/render-approval.js';

export default class ApprovalsList extends KgateCommand<ApprovalView[]> {
  static override summary = 'List approvals you may decide (default: pending ones).';
  static override description = 'Held requests you may decide are shown in full, secrets highlighted; kgate approvals show ID adds the body. Your own (--mine) are shown masked.';
  static override examples = ['<%= config.bin %> approvals list', '<%= config.bin %> approvals list --state approved', '<%= config.bin %> approvals list --mine'];
  static override flags = {
    state: Flags.string({ summary: 'Approval state.', options: ['pending', 'approved', 'denied', 'expired'], default: 'pending' }),
    mine: Flags.boolean({ summary: 'Approvals you asked for instead of those you may decide.' }),
    ...serverFlags,
  };

  async run(): Promise<ApprovalView[]> {
    const { flags } = await this.parse(ApprovalsList);
    const client = await openPolicyClient(flags);
    try {
      const approvals = await client.listApprovals({ state: flags.state, mine: flags.mine });
      if (approvals.length === 0) this.say(`No ${flags.state} approvals${flags.mine ? ' of yours' : ' for you to decide'}.`);
      else for (const line of approvalRows(approvals, highlightStyle(process.stdout))) this.say(line);
      return approvals;
    } finally {
      await client.close();
    }
  }
}
