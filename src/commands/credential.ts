import { Flags } from '@oclif/core';
import { KgateCommand } from '../cli/base-command.js';
import { ExitCode, KgateError, usageError } from '../cli/errors.js';
import { resolvePaths } from '../cli/paths.js';
import { controlRequest } from '../broker/daemon/control-client.js';
import { ensureDaemon } from '../broker/daemon/ensure-daemon.js';
import { execCredential, parseExecInfo, type ExecInfo } from '../broker/daemon/exec-credential.js';
import { brokerLayout } from '../broker/daemon/layout.js';
import type { ContextKey } from '../broker/context/credential-file.js';
import type { CredentialResponse } from '../broker/daemon/protocol.js';
import type { PolicyClient } from '../policy/client.js';

const POLL_MS = 3000;
const MAX_WAIT_MS = 15 * 60_000;

export default class Credential extends KgateCommand<void> {
  static override summary = 'kubectl exec credential plugin: a session token for the local broker, or a gateway credential (written by kgate kubeconfig add).';
  static override description = `Reads KUBERNETES_EXEC_INFO and writes only an ExecCredential on stdout. For a broker cluster it starts the broker if needed, which logs in without prompting and obtains the grant. For a gateway cluster (--gateway) it answers with a cached gateway credential while one has more than a minute left, else logs in without prompting, obtains the grant and caches a new 15-minute one. When a person must act (sign in, or an approval) it says so on stderr; it signs in or waits only when kubectl says the session is interactive, and otherwise exits 4 (login needed) or 5 (approval pending).`;
  static override hidden = true;
  static override enableJsonFlag = false;
  static override flags = {
    cluster: Flags.string({ summary: 'Cluster (env KGATE_CLUSTER).' }),
    grant: Flags.string({ summary: 'Grant template (env KGATE_GRANT).' }),
    namespace: Flags.string({ summary: 'Namespace the grant must cover (repeatable).', multiple: true }),
    gateway: Flags.boolean({ summary: 'The cluster is served by the kgate gateway: answer with a gateway credential.' }),
    server: Flags.string({ summary: 'Policy service URL the gateway lives under (with --gateway).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Credential);
    const cluster = flags.cluster ?? process.env.KGATE_CLUSTER;
    const grant = flags.grant ?? process.env.KGATE_GRANT;
    if (!cluster || !grant) throw usageError('kgate credential needs --cluster and --grant', ['Write the kubeconfig entry with: kgate kubeconfig add --cluster C --grant G']);
    let info: ExecInfo;
    try {
      info = parseExecInfo(process.env.KUBERNETES_EXEC_INFO, process.stdin.isTTY === true);
    } catch (error) {
      throw usageError((error as Error).message);
    }
    const stateDir = resolvePaths().state;
    if (flags.gateway) {
      if (!flags.server) throw usageError('A gateway context needs --server', ['Write the context again: kgate kubeconfig add --cluster C --grant G']);
      const credential = await this.gatewayCredential(stateDir, { server: flags.server, cluster, template: grant, namespaces: flags.namespace ?? [] }, info.interactive);
      process.stdout.write(execCredential(info.apiVersion, credential.token, credential.expiresAt));
      return;
    }
    await ensureDaemon(stateDir, process.env);
    const socket = brokerLayout(stateDir).socket;
    const deadline = Date.now() + MAX_WAIT_MS;
    let said = '';
    let loggedIn = false;
    for (;;) {
      const answer = await controlRequest<CredentialResponse>(socket, { op: 'credential', cluster, grant, namespaces: flags.namespace ?? [] }, 120_000);
      if (!answer) throw new KgateError('The kgate broker did not answer', { code: 'KGATE_BROKER_UNAVAILABLE', exit: ExitCode.Unavailable, suggestions: [`See ${brokerLayout(stateDir).log}`, 'Restart it: kgate broker stop && kgate broker start'] });
      if (answer.ok && answer.state === 'active') {
        process.stdout.write(execCredential(info.apiVersion, answer.token, answer.expiresAt));
        return;
      }
      if (!answer.ok) {
        if (answer.code === 'KGATE_LOGIN_NEEDED' && info.interactive && !loggedIn) {
          await this.loginInteractively();
          loggedIn = true;
          continue;
        }
        throw new KgateError(answer.message, { code: answer.code, exit: answer.exit as ExitCode, suggestions: answer.suggestions });
      }
      if (answer.state === 'cold') continue;
      if (answer.message !== said) process.stderr.write(`kgate: ${answer.message}\n`);
      said = answer.message;
      if (!info.interactive) {
        throw new KgateError(`${answer.message}; not waiting because kubectl runs non-interactively`, { code: 'KGATE_APPROVAL_PENDING', exit: ExitCode.ApprovalPending, suggestions: ['Run the command again once an approver has approved.'] });
      }
      if (Date.now() > deadline) throw new KgateError(`${answer.message}; gave up waiting`, { code: 'KGATE_APPROVAL_PENDING', exit: ExitCode.ApprovalPending });
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The gateway context's credential: cached, or minted on a grant obtained without prompting. */
  private async gatewayCredential(stateDir: string, key: ContextKey, interactive: boolean) {
    const [{ contextCredential }, { openIdentity }, { ensureLogin }, { openPolicyClient }] = await Promise.all([
      import('../broker/context/context-credential.js'), import('../identity/context.js'), import('../identity/ensure-login.js'), import('../policy/client-context.js'),
    ]);
    let client: Promise<PolicyClient> | undefined;
    try {
      return await contextCredential({
        key, stateDir, parent: process.ppid, interactive,
        ensureLogin: async () => ensureLogin(await openIdentity({})),
        loginInteractively: () => this.loginInteractively(),
        client: () => (client ??= openPolicyClient({ server: key.server })),
        status: (line) => process.stderr.write(`kgate: ${line}\n`),
      });
    } finally {
      if (client) await (await client.catch(() => undefined))?.close();
    }
  }

  /** A person at the terminal signs in here (browser or device flow); the broker shares the token cache. */
  private async loginInteractively(): Promise<void> {
    const [{ openIdentity }, { login }, { openUrl }] = await Promise.all([import('../identity/context.js'), import('../identity/login.js'), import('../identity/flows/open-url.js')]);
    const { settings, session, warn } = await openIdentity({});
    await login({ timeoutMs: 180_000 }, { settings, session, env: process.env, interactive: true, io: { notify: warn, openUrl: (url) => openUrl(url), now: Date.now } });
  }
}
