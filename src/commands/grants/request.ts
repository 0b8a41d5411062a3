import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../../cli/errors.js';
import { isDurationText, tryParseDuration } from '../../policy/duration.js';
import { clusterOf, openPolicyClient, serverFlags } from '../../policy/client-context.js';
import type { GrantView } from '../../policy/client.js';
import { waitForGrant } from '../../policy/grant-wait.js';
import { describeGrant } from '../../policy/render.js';

export default class GrantsRequest extends KgateCommand<GrantView> {
  static override summary = 'Request a just-in-time grant: active at once, or pending approval.';
  static override description = `Exit codes: 0 active; 3 denied by policy (or by an approver); 5 still pending (without --wait, or when --wait runs out). With --wait the command long-polls the service and prints progress on stderr.`;
  static override examples = [
    '<%= config.bin %> grants request --grant read-only',
    '<%= config.bin %> grants request --grant deploy --namespace apps --ttl 30m --reason "release 1.4" --wait 10m',
    '<%= config.bin %> grants request --grant break-glass --break-glass --reason "INC-123: API down"',
  ];

  static override flags = {
    grant: Flags.string({ summary: 'Grant template name from the policy.', required: true }),
    cluster: Flags.string({ summary: 'Cluster (env KGATE_CLUSTER).' }),
    namespace: Flags.string({ summary: 'Namespace to grant (repeatable; default: the template\'s).', multiple: true }),
    ttl: Flags.string({ summary: 'How long the grant lasts once active, e.g. 30m or 2h (default: the template\'s).' }),
    reason: Flags.string({ summary: 'Why you need it (required by some templates and for break-glass).' }),
    'break-glass': Flags.boolean({ summary: 'Use the template\'s break-glass path: no approval, audited loudly.' }),
    wait: Flags.string({ summary: 'Wait this long for an approval, e.g. 10m.' }),
    ...serverFlags,
  };

  async run(): Promise<GrantView> {
    const { flags } = await this.parse(GrantsRequest);
    const waitMs = flags.wait === undefined ? undefined : tryParseDuration(flags.wait);
    if (flags.wait !== undefined && waitMs === undefined) throw usageError(`--wait ${flags.wait} is not a duration`, ['Use e.g. 90s, 10m or 1h.']);
    if (flags.ttl !== undefined && !isDurationText(flags.ttl)) throw usageError(`--ttl ${flags.ttl} is not a duration`, ['Use e.g. 30m or 2h.']);
    const client = await openPolicyClient(flags);
    try {
      let grant = await client.requestGrant({
        cluster: clusterOf(flags.cluster),
        grant: flags.grant,
        ...(flags.namespace?.length ? { namespaces: flags.namespace } : {}),
        ...(flags.ttl ? { ttl: flags.ttl } : {}),
        ...(flags.reason ? { reason: flags.reason } : {}),
        ...(flags['break-glass'] ? { breakGlass: true } : {}),
      });
      if (grant.state === 'pending' && waitMs) grant = await waitForGrant(client, grant, waitMs, (line) => this.status(line));
      return this.finish(grant);
    } finally {
      await client.close();
    }
  }

  private finish(grant: GrantView): GrantView {
    if (grant.state === 'denied' || grant.state === 'expired' || grant.state === 'revoked') {
      throw new KgateError(describeGrant(grant), { code: 'KGATE_GRANT_DENIED', exit: ExitCode.Denied });
    }
    this.say(describeGrant(grant));
    if (grant.state === 'pending') {
      if (grant.approvalId) this.say(`Approvers run: kgate approve ${grant.approvalId}`);
      process.exitCode = ExitCode.ApprovalPending;
    }
    return grant;
  }

  /** Progress goes to stderr so stdout stays the result. */
  private status(line: string): void {
    process.stderr.write(`${line}\n`);
  }
}
