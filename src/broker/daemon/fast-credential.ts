/**
 * The credential plugin's warm path. A broker context: when the broker daemon already holds an
 * active grant for the cluster and template asked for, one round trip on its control socket
 * yields the session token. A gateway context (`--gateway`): a cached gateway credential with
 * more than a minute left, read from its 0600 file (see credential-cache.ts).
 * Imports only `node:` modules and small pure files, never oclif, the AWS SDK or an OIDC client;
 * anything it cannot answer (no daemon, no active grant, no fresh credential, bad input) goes to
 * the full `kgate credential` command instead.
 */
import { resolvePaths } from '../../cli/paths.js';
import { isFresh, markServed, readCachedCredential } from '../context/credential-cache.js';
import { controlRequest } from './control-client.js';
import { execCredential, parseExecInfo, parsePluginArgs, type ExecApiVersion, type PluginArgs } from './exec-credential.js';
import { brokerLayout } from './layout.js';
import type { CredentialResponse } from './protocol.js';

/**
 * Writes the ExecCredential and returns true, or returns false for the full path to handle.
 * `parent` is the kubectl process that runs the plugin.
 */
export async function fastCredential(argv: readonly string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean, write: (text: string) => void, parent: number = process.ppid): Promise<boolean> {
  const args = parsePluginArgs(argv);
  const { cluster = env.KGATE_CLUSTER, grant = env.KGATE_GRANT, namespaces } = args;
  if (!cluster || !grant) return false;
  let apiVersion;
  try {
    ({ apiVersion } = parseExecInfo(env.KUBERNETES_EXEC_INFO, stdinIsTty));
  } catch {
    return false;
  }
  const stateDir = resolvePaths(env).state;
  if (args.gateway) return gatewayCredential(stateDir, { ...args, cluster, grant }, apiVersion, parent, write);
  const socket = brokerLayout(stateDir).socket;
  const answer = await controlRequest<CredentialResponse>(socket, { op: 'credential', cluster, grant, namespaces, warmOnly: true }, 2000);
  if (!answer?.ok || answer.state !== 'active') return false;
  write(execCredential(apiVersion, answer.token, answer.expiresAt));
  return true;
}

async function gatewayCredential(stateDir: string, args: PluginArgs & { cluster: string; grant: string }, apiVersion: ExecApiVersion, parent: number, write: (text: string) => void): Promise<boolean> {
  if (!args.server) return false;
  try {
    const cached = await readCachedCredential(stateDir, { server: args.server, cluster: args.cluster, template: args.grant, namespaces: args.namespaces });
    if (!cached || !isFresh(cached, Date.now())) return false;
    // Already handed to this kubectl: it asks again because the gateway refused it.
    if (!(await markServed(stateDir, cached.id, parent))) return false;
    write(execCredential(apiVersion, cached.token, cached.expiresAt));
    return true;
  } catch {
    return false;
  }
}
