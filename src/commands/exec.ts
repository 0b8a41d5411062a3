import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../cli/errors.js';
import { openIdentity } from '../identity/context.js';
import { ensureLogin } from '../identity/ensure-login.js';
import { clusterOf, openPolicyClient, serverFlags } from '../policy/client-context.js';
import type { GrantRequestBody, GrantView, PolicyClient } from '../policy/client.js';
import { isDurationText, tryParseDuration } from '../policy/duration.js';
import { obtainGrant, type ObtainedGrant } from '../broker/runtime/obtain-grant.js';
import { runBrokered } from '../broker/runtime/run-brokered.js';

export default class Exec extends KgateCommand<void> {
  static override summary = 'Run a command (kubectl, a CI step, an MCP server) through a kgate broker on a just-in-time grant.';
  static override description = `kgate logs in without prompting (cached token, workload token, client credentials), obtains an active grant (reusing one you hold, else requesting one and waiting for approval up to --wait), starts a broker on a loopback port and runs COMMAND with KUBECONFIG pointing at it. Every request is checked against the guardrails, secrets are masked, exec sessions are recorded and everything is audited. Afterwards the audit trail is flushed and a grant requested for this run is released. The command's exit code is kgate's.`;
  static override examples = [
    '<%= config.bin %> exec --grant read-only -- kubectl get pods -A',
    '<%= config.bin %> exec --grant deploy --namespace apps --reason "release 1.4" --wait 10m -- kubectl apply -f deploy.yaml',
    '<%= config.bin %> exec --grant read-only -- kubernetes-mcp-server',
  ];
  static override enableJsonFlag = false;

  static override flags = {
    grant: Flags.string({ summary: 'Grant template (env KGATE_GRANT).' }),
    cluster: Flags.string({ summary: 'Cluster (env KGATE_CLUSTER).' }),
    namespace: Flags.string({ summary: 'Namespace to grant (repeatable); the first is the kubeconfig default.', multiple: true }),
    ttl: Flags.string({ summary: 'Grant lifetime, e.g. 30m (default: the template\'s).' }),
    reason: Flags.string({ summary: 'Why (required by some templates).' }),
    wait: Flags.string({ summary: 'How long to wait for approval of the grant, e.g. 10m.', default: '0s' }),
    verbose: Flags.boolean({ summary: 'Print the broker\'s log lines on stderr.' }),
    ...serverFlags,
  };

  async run(): Promise<void> {
    // The command is everything after the first `--`, verbatim: oclif's own pass-through reorders repeated words.
    const dash = this.argv.indexOf('--');
    const command = dash < 0 ? [] : this.argv.slice(dash + 1);
    if (command.length === 0) throw usageError('No command given', ['Put the command after --, e.g. kgate exec --grant read-only -- kubectl get pods']);
    const { flags } = await this.parse(Exec, this.argv.slice(0, dash));
    const waitMs = tryParseDuration(flags.wait);
    if (waitMs === undefined) throw usageError(`--wait ${flags.wait} is not a duration`, ['Use e.g. 90s, 10m or 1h.']);
    if (flags.ttl !== undefined && !isDurationText(flags.ttl)) throw usageError(`--ttl ${flags.ttl} is not a duration`, ['Use e.g. 30m or 2h.']);
    const template = flags.grant ?? process.env.KGATE_GRANT;
    if (!template) throw usageError('No grant template given', ['Pass --grant NAME or set KGATE_GRANT.']);
    const cluster = clusterOf(flags.cluster);
    const status = (line: string) => process.stderr.write(`${line}\n`);

    await ensureLogin(await openIdentity(flags));
    const client = await openPolicyClient(flags);
    try {
      const { grant, created } = await this.obtain(client, {
        cluster,
        grant: template,
        ...(flags.namespace?.length ? { namespaces: flags.namespace } : {}),
        ...(flags.ttl ? { ttl: flags.ttl } : {}),
        ...(flags.reason ? { reason: flags.reason } : {}),
      }, waitMs, status);
      try {
        const result = await runBrokered({ client, grant, argv: command, ...(flags.namespace?.[0] ? { namespace: flags.namespace[0] } : {}), verbose: flags.verbose, status });
        if (result.unshipped > 0) status(`kgate: ${result.unshipped} audit events could not be shipped yet; they stay in the local spool and ship on the next run`);
        process.exitCode = result.exitCode;
      } finally {
        if (created) await client.revokeGrant(grant.id, 'kgate exec finished').catch((error: Error) => status(`kgate: could not release grant ${grant.id} (${error.message}); it expires on its own`));
      }
    } finally {
      await client.close();
    }
  }

  /** obtainGrant, with Ctrl-C or SIGTERM during an approval wait withdrawing the request (exit 130). */
  private async obtain(client: PolicyClient, request: GrantRequestBody, waitMs: number, status: (line: string) => void): Promise<ObtainedGrant> {
    let latest: GrantView | undefined;
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      if (latest?.state === 'pending') void client.revokeGrant(latest.id, 'kgate exec interrupted').catch(() => undefined);
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      return await obtainGrant(client, request, { waitMs, status, onGrant: (grant) => (latest = grant), requester: 'kgate exec' });
    } catch (error) {
      if (interrupted) throw new KgateError('Interrupted while waiting for approval; the grant request was withdrawn', { code: 'KGATE_INTERRUPTED', exit: ExitCode.Interrupted });
      throw error;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  }
}
