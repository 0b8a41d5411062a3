import { Flags } from '@oclif/core';
import { KgateCommand } from '../../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../../cli/errors.js';
import { resolvePaths } from '../../cli/paths.js';
import { addKubeconfigEntry, kubeconfigPath, kubercAllowlist, kubercPath } from '../../broker/daemon/kubeconfig-entry-file.js';
import type { KubeconfigEntry } from '../../broker/daemon/kubeconfig-entry.js';
import { openIdentity } from '../../identity/context.js';
import { ensureLogin } from '../../identity/ensure-login.js';
import { clusterOf, openPolicyClient, serverFlags, type ServerFlagValues } from '../../policy/client-context.js';

/** What `kgate kubeconfig add` wrote, and what kubectl ≥ 1.35 may need in kuberc. */
export interface KubeconfigAddResult extends KubeconfigEntry {
  kubeconfig: string;
  currentContext: boolean;
  kuberc: { path: string; allowlist: string };
}

export default class KubeconfigAdd extends KgateCommand<KubeconfigAddResult> {
  static override summary = 'Add a kubeconfig context that reaches a cluster through the kgate gateway or the local kgate broker.';
  static override description = `The policy service says how the cluster is reached (kgate logs in without prompting to ask). A gateway cluster's context names the gateway at the policy service; kubectl runs kgate's credential plugin, which obtains the grant when needed and hands kubectl a short-lived gateway credential the cluster's API server refuses. A broker cluster's context names the local broker daemon, which the plugin starts. No cluster credential is written either way. Adding the same context again replaces it. The file is written with mode 0600. Secrets (KGATE_CLIENT_SECRET, tokens) are never copied into it.`;
  static override examples = [
    '<%= config.bin %> kubeconfig add --cluster prod --grant read-only',
    '<%= config.bin %> kubeconfig add --cluster prod --grant deploy --namespace apps --context prod-deploy --set-current',
  ];

  static override flags = {
    cluster: Flags.string({ summary: 'Cluster (env KGATE_CLUSTER).' }),
    grant: Flags.string({ summary: 'Grant template to use (env KGATE_GRANT).' }),
    namespace: Flags.string({ summary: 'Default namespace of the context, and of the grant requested.' }),
    context: Flags.string({ summary: 'Context name (default kgate-<cluster>).' }),
    kubeconfig: Flags.string({ summary: 'Kubeconfig file (default: the first KUBECONFIG path, else ~/.kube/config).' }),
    'set-current': Flags.boolean({ summary: 'Make it the current context.' }),
    ...serverFlags,
  };

  async run(): Promise<KubeconfigAddResult> {
    const { flags } = await this.parse(KubeconfigAdd);
    const cluster = clusterOf(flags.cluster);
    const grant = flags.grant || process.env.KGATE_GRANT;
    if (!grant) throw usageError('No grant given', ['Pass --grant NAME or set KGATE_GRANT.']);
    const file = kubeconfigPath(flags.kubeconfig);
    const gateway = await this.gatewayOf(flags, cluster, grant);
    const entry = await addKubeconfigEntry({
      stateDir: resolvePaths().state,
      file,
      cluster,
      grant,
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
      ...(flags.context ? { context: flags.context } : {}),
      setCurrent: flags['set-current'],
      ...(gateway ? { gateway } : {}),
      // The plugin reaches the same service, so an explicit insecure choice goes with it (visibly).
      ...(flags['insecure-http-server'] ? { env: { ...process.env, KGATE_INSECURE_HTTP_SERVER: '1' } } : {}),
    });
    const kuberc = { path: kubercPath(), allowlist: kubercAllowlist(entry.exec.command) };
    this.say(`Wrote context ${entry.context} to ${file}${flags['set-current'] ? ' and made it current' : ''}:`);
    const ca = entry.caFile ? `CA ${entry.caFile}` : entry.caData ? 'CA of the policy service, inline' : 'the system\'s trusted CAs';
    this.say(`  cluster ${entry.cluster}: ${entry.access === 'gateway' ? 'the kgate gateway at ' : ''}${entry.server} (${ca})`);
    this.say(`  user ${entry.user}: kgate's credential plugin, ${entry.access === 'gateway' ? 'gateway credentials on ' : ''}grant ${grant}${entry.namespace ? `, namespace ${entry.namespace}` : ''}`);
    this.say(`  settings passed to the plugin: ${entry.exec.env.map((e) => e.name).join(', ') || '(none)'}`);
    this.say();
    this.say(`Use it: kubectl --context ${entry.context} get pods`);
    this.say();
    this.say(`kubectl 1.35 and newer refuse credential plugins a kuberc policy does not allow. If ${kuberc.path} (or the file KUBERC names) sets credentialPluginPolicy: Allowlist, add this entry to its credentialPluginAllowlist:`);
    for (const line of kuberc.allowlist.split('\n')) this.say(`  ${line}`);
    return { ...entry, kubeconfig: file, currentContext: flags['set-current'], kuberc };
  }

  /** The policy service the gateway lives under when the service serves `cluster` through it; undefined for a broker cluster. */
  private async gatewayOf(flags: ServerFlagValues, cluster: string, grant: string): Promise<{ service: string; caPem?: string } | undefined> {
    await ensureLogin(await openIdentity(flags));
    const client = await openPolicyClient(flags);
    try {
      const template = (await client.grantTemplates(cluster)).find((t) => t.name === grant);
      if (!template) {
        throw new KgateError(`Grant template ${grant} is not offered to you on cluster ${cluster}`, {
          code: 'KGATE_UNKNOWN_TEMPLATE', exit: ExitCode.Usage, suggestions: ['kgate grants request --help shows how to pick one; kgate session lists the templates you may request.'],
        });
      }
      // Gateway unless the service says broker, as the service decides it.
      if (template.access?.[cluster] === 'broker') return undefined;
      return { service: client.serverUrl, ...(client.caPem ? { caPem: client.caPem } : {}) };
    } finally {
      await client.close();
    }
  }
}
