/**
 * The client.authentication.k8s.io side of the credential plugin: what kubectl tells it in
 * KUBERNETES_EXEC_INFO, and the ExecCredential it expects on stdout, in the apiVersion it asked
 * for. Pure and dependency-free: the warm path uses it.
 */

const VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof VERSIONS)[number];

/** Reported expiry is this much before the real one, so kubectl asks again in time. */
export const EXPIRY_MARGIN_MS = 60_000;

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  /** Whether the plugin may talk to a person (kubectl says so; absent info means a terminal decides). */
  interactive: boolean;
}

/** Parses KUBERNETES_EXEC_INFO; without it, v1 and "interactive when stdin is a terminal". */
export function parseExecInfo(raw: string | undefined, stdinIsTty: boolean): ExecInfo {
  if (!raw) return { apiVersion: VERSIONS[0], interactive: stdinIsTty };
  let info: { apiVersion?: unknown; spec?: { interactive?: unknown } };
  try {
    info = JSON.parse(raw) as typeof info;
  } catch {
    throw new Error('KUBERNETES_EXEC_INFO is not JSON');
  }
  const apiVersion = VERSIONS.find((v) => v === info.apiVersion);
  if (!apiVersion) throw new Error(`kgate credential speaks ${VERSIONS.join(' and ')}, not ${String(info.apiVersion)}`);
  return { apiVersion, interactive: info.spec?.interactive === true };
}

/** The ExecCredential JSON line for `token`, expiring `EXPIRY_MARGIN_MS` early. */
export function execCredential(apiVersion: ExecApiVersion, token: string, expiresAt: number, now = Date.now()): string {
  const reported = Math.max(now + 1000, expiresAt - EXPIRY_MARGIN_MS);
  const expirationTimestamp = new Date(Math.floor(reported / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return JSON.stringify({ apiVersion, kind: 'ExecCredential', status: { token, expirationTimestamp } }) + '\n';
}

/** The plugin's own flags, as parsed by {@link parsePluginArgs}. */
export interface PluginArgs {
  cluster?: string;
  grant?: string;
  namespaces: string[];
  /** The context reaches a gateway cluster (`--gateway`): a gateway credential, no broker. */
  gateway: boolean;
  /** The policy service the gateway lives under (`--server`, written into gateway contexts). */
  server?: string;
}

/** The plugin's own flags: --cluster C --grant G [--namespace N]… [--gateway --server URL] (also `--flag=value`). */
export function parsePluginArgs(argv: readonly string[]): PluginArgs {
  const out: PluginArgs = { namespaces: [], gateway: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--gateway') {
      out.gateway = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (name !== '--cluster' && name !== '--grant' && name !== '--namespace' && name !== '--server') continue;
    if (eq < 0) i += 1;
    if (value === undefined) continue;
    if (name === '--cluster') out.cluster = value;
    else if (name === '--grant') out.grant = value;
    else if (name === '--server') out.server = value;
    else out.namespaces.push(value);
  }
  return out;
}
