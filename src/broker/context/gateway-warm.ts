/**
 * The credential plugin's warm path for a gateway context (`--gateway`): a cached gateway
 * credential with more than a minute left, read from its 0600 file (credential-file.ts), handed
 * to this kubectl once. Anything it cannot answer (no fresh credential, already handed to this
 * kubectl, bad input) goes to the full `kgate credential` command instead.
 *
 * Target: within 1.25 × `node -e 0`, which leaves about 8 ms. So this module's whole import graph
 * takes built-ins from `process.getBuiltinModule` (an ESM `import` of the first `node:` module
 * alone costs 3 ms) and is checked by test/unit/broker/daemon/fast-path-imports.test.ts.
 */
import { resolvePaths } from '../../cli/paths.js';
import { execCredential, parseExecInfo, parsePluginArgs } from '../daemon/exec-credential.js';
import { isFresh, markServed, readCachedCredential } from './credential-file.js';

/**
 * Writes the ExecCredential and returns true, or returns false for the full path to handle.
 * `parent` is the kubectl process that runs the plugin.
 */
export function gatewayWarmCredential(argv: readonly string[], env: NodeJS.ProcessEnv, stdinIsTty: boolean, write: (text: string) => void, parent: number): boolean {
  const { cluster = env.KGATE_CLUSTER, grant = env.KGATE_GRANT, namespaces, gateway, server } = parsePluginArgs(argv);
  if (!gateway || !server || !cluster || !grant) return false;
  try {
    const { apiVersion } = parseExecInfo(env.KUBERNETES_EXEC_INFO, stdinIsTty);
    const stateDir = resolvePaths(env).state;
    const cached = readCachedCredential(stateDir, { server, cluster, template: grant, namespaces });
    if (!cached || !isFresh(cached, Date.now())) return false;
    // Already handed to this kubectl: it asks again because the gateway refused it.
    if (!markServed(stateDir, cached.id, parent)) return false;
    write(execCredential(apiVersion, cached.token, cached.expiresAt));
    return true;
  } catch {
    return false;
  }
}
