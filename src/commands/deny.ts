import { Args, Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import type { ApprovalView } from '../policy/client.js';
import { describeApproval } from '../policy/render.js';

export default class Deny extends KgateCommand<ApprovalView> {
  static override summary = 'Deny a pending grant or held request; one denial ends it.';
  static override examples = ['<%= config.bin %> deny q7… --reason "not during the freeze"'];
  static override args = { id: Args.string({ description: 'Approval id (see kgate approvals list).', required: true }) };
  static override flags = { reason: Flags.string({ summary: 'Why (shown to the requester).', required: true }), ...serverFlags };

  async run(): Promise<ApprovalView> {
    const { args, flags } = await this.parse(Deny);
    const client = await openPolicyClient(flags);
    try {
      const approval = await client.deny(args.id, flags.reason);
      this.say(describeApproval(approval));
      return approval;
    } finally {
      await client.close();
    }
  }
}
