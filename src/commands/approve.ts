import { Args, Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import type { ApprovalView } from '../policy/client.js';
import { describeApproval } from '../policy/render.js';

export default class Approve extends KgateCommand<ApprovalView> {
  static override summary = 'Approve a pending grant or held request.';
  static override description = 'You must be in one of its approver groups and not its requester; each approver votes once. When enough approvers agreed, the grant becomes active before this returns.';
  static override examples = ['<%= config.bin %> approve q7…', '<%= config.bin %> approve q7… --reason "release window"'];
  static override args = { id: Args.string({ description: 'Approval id (see kgate approvals list).', required: true }) };
  static override flags = { reason: Flags.string({ summary: 'Why (kept in the audit trail).' }), ...serverFlags };

  async run(): Promise<ApprovalView> {
    const { args, flags } = await this.parse(Approve);
    const client = await openPolicyClient(flags);
    try {
      const approval = await client.approve(args.id, flags.reason);
      this.say(describeApproval(approval));
      return approval;
    } finally {
      await client.close();
    }
  }
}
