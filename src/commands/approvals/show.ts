import { Args } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { ApprovalView } from '../../policy/client.js';
import { approvalDetailLines, highlightStyle } from '../../policy/render-approval.js';

export default class ApprovalsShow extends KgateCommand<ApprovalView> {
  static override summary = 'Show one approval; to its approvers, the held request exactly as it will run.';
  static override description =
    'Approvers of a pending held request see it exactly as it will be forwarded: the target, each exec argument, the options and the body ' +
    '(a patch re-indented, with its patch type), with what secret detectors matched shown in full and highlighted (reverse video on a ' +
    'terminal, [[…]] otherwise; --json gives each text with a highlights array of ranges). Everyone else sees it masked.';

  static override examples = ['<%= config.bin %> approvals show q7…', '<%= config.bin %> approvals show q7… --json'];
  static override args = { id: Args.string({ description: 'Approval id (see kgate approvals list).', required: true }) };
  static override flags = { ...serverFlags };

  async run(): Promise<ApprovalView> {
    const { args, flags } = await this.parse(ApprovalsShow);
    const client = await openPolicyClient(flags);
    try {
      const approval = await client.getApproval(args.id);
      for (const line of approvalDetailLines(approval, highlightStyle(process.stdout))) this.say(line);
      return approval;
    } finally {
      await client.close();
    }
  }
}
