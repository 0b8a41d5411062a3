/**
 * The credential plugin's warm path for a broker context: when the broker daemon already holds an
 * active grant for the cluster and template asked for, one round trip on its control socket
 * yields the session token (gateway contexts: src/broker/context/gateway-warm.ts).
 * Imports only `node:` modules and small pure files, never oclif, the AWS SDK or an OIDC client;
 * anything it cannot answer (no daemon, no active grant, bad input) goes to the full
 * `kgate credential` command instead.
 */
import { resolvePaths } from '../../cli/paths.js';
import { controlRequest } from './control-client.js';
import { execCredential, parseExecInfo, parsePluginArgs } from './exec-credential.js';
import { brokerLayout } from './layout.js';
import type { CredentialResponse } from './protocol.js';

/** Writes the ExecCredential and returns true, or returns false for the full path to handle. */
export async function fastCredential(argv: readonly string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean, write: (text: string) => void): Promise<boolean> {
  const { cluster = env.KGATE_CLUSTER, grant = env.KGATE_GRANT, namespaces, gateway } = parsePluginArgs(argv);
  if (gateway || !cluster || !grant) return false;
  let apiVersion;
  try {
    ({ apiVersion } = parseExecInfo(env.KUBERNETES_EXEC_INFO, stdinIsTty));
  } catch {
    return false;
  }
  const socket = brokerLayout(resolvePaths(env).state).socket;
  const answer = await controlRequest<CredentialResponse>(socket, { op: 'credential', cluster, grant, namespaces, warmOnly: true }, 2000);
  if (!answer?.ok || answer.state !== 'active') return false;
  write(execCredential(apiVersion, answer.token, answer.expiresAt));
  return true;
}
