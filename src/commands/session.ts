import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../cli/errors.js';
import { openIdentity } from '../identity/context.js';
import { ensureLogin } from '../identity/ensure-login.js';
import { openPolicyClient, serverFlags } from '../policy/client-context.js';
import { isDurationText, tryParseDuration } from '../policy/duration.js';
import { formatRemaining } from '../policy/render.js';

export default class Session extends KgateCommand<void> {
  static override summary = 'Open a shell with kubectl access through a kgate broker on a just-in-time grant.';
  static override description = `An interactive interface picks the cluster and the grant template you may request, asks for a reason and shows the request live while approvers decide. Then your $SHELL starts with KUBECONFIG pointing at a broker (every request checked, secrets masked, everything audited) and a (kgate:CLUSTER/GRANT) prompt marker with the time left; kgate warns 5 minutes and 1 minute before the grant ends. When the shell exits the grant is released and the audit trail flushed; the shell's exit code is kgate's. Needs a terminal: scripts use kgate exec.`;
  static override examples = [
    '<%= config.bin %> session',
    '<%= config.bin %> session --cluster prod-eu --grant deploy --namespace apps --reason "release 1.4"',
  ];
  static override enableJsonFlag = false;

  static override flags = {
    cluster: Flags.string({ summary: 'Cluster (env KGATE_CLUSTER); asked for when there is a choice.' }),
    grant: Flags.string({ summary: 'Grant template; picked from a list when not given.' }),
    namespace: Flags.string({ summary: 'Namespace to grant (repeatable); the first is the kubeconfig default.', multiple: true }),
    ttl: Flags.string({ summary: 'Grant lifetime, e.g. 30m (default: the template\'s).' }),
    reason: Flags.string({ summary: 'Why; asked for when not given.' }),
    wait: Flags.string({ summary: 'How long to wait for approval of the grant.', default: '1h' }),
    verbose: Flags.boolean({ summary: 'Print the broker\'s log lines on stderr.' }),
    ...serverFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Session);
    if (!process.stdin.isTTY) throw usageError('kgate session needs a terminal; use kgate exec -- COMMAND in scripts', ['e.g. kgate exec --grant read-only -- kubectl get pods']);
    const waitMs = tryParseDuration(flags.wait);
    if (waitMs === undefined) throw usageError(`--wait ${flags.wait} is not a duration`, ['Use e.g. 90s, 10m or 1h.']);
    if (flags.ttl !== undefined && !isDurationText(flags.ttl)) throw usageError(`--ttl ${flags.ttl} is not a duration`, ['Use e.g. 30m or 2h.']);
    const status = (line: string) => process.stderr.write(`${line}\n`);

    await ensureLogin(await openIdentity(flags));
    const client = await openPolicyClient(flags);
    try {
      const { pickGrant } = await import('../session/pick-grant.js');
      const outcome = await pickGrant({
        client,
        preset: { cluster: flags.cluster || process.env.KGATE_CLUSTER || undefined, grant: flags.grant, reason: flags.reason },
        namespaces: flags.namespace,
        ttl: flags.ttl,
        waitMs,
      });
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'cancelled') throw new KgateError('Session cancelled; no grant is held for it', { code: 'KGATE_CANCELLED', exit: ExitCode.Error });
      const { grant, created } = outcome.obtained;
      const { runBrokeredShell } = await import('../session/brokered-shell.js');
      const started = Date.now();
      let audit = 'not flushed';
      const extensions: string[] = [];
      const again = {
        cluster: grant.cluster, grant: grant.template, ttl: `${Math.round(grant.ttlMs / 1000)}s`,
        // A cluster-wide grant is asked for as the template's default ("*" is not a name to ask for).
        ...(grant.namespaces.includes('*') ? {} : { namespaces: grant.namespaces }),
        ...(grant.reason ? { reason: grant.reason } : {}),
      };
      try {
        const result = await runBrokeredShell({
          client, grant, shell: process.env.SHELL || '/bin/sh', namespace: flags.namespace?.[0], verbose: flags.verbose, status,
          extend: { request: again, onRequested: (id) => extensions.push(id) },
        });
        process.exitCode = result.exitCode;
        audit = result.unshipped ? `${result.unshipped} audit events wait in the local spool for the next run` : 'audit trail shipped';
      } finally {
        const released = created
          ? await client.revokeGrant(grant.id, 'kgate session ended').then(() => 'released', (error: Error) => `not released (${error.message}); it expires on its own`)
          : 'kept (you held it before the session)';
        for (const id of extensions) await client.revokeGrant(id, 'kgate session ended').catch(() => undefined);
        const extended = extensions.length ? ` (and ${extensions.length} extension grant${extensions.length === 1 ? '' : 's'})` : '';
        status(`kgate: session on ${grant.cluster}/${grant.template} ended after ${formatRemaining(Date.now() - started)}; grant ${grant.id}${extended} ${released}; ${audit}.`);
      }
    } finally {
      await client.close();
    }
  }
}
