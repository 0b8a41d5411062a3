import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { toErrorBody } from '../cli/errors.js';
import { networkFailure } from '../cli/network-failure.js';
import type { KgatePaths } from '../cli/paths.js';
import type { PolicyEndpoint } from '../policy/client-context.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of `kgate doctor`: what was checked, what was found, and how to fix it. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** What the checks read from the outside world; injected so tests can replace each piece. */
export interface DoctorDeps {
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  paths: KgatePaths;
  /** Runs a program and returns its stdout; rejects when it is missing or fails. */
  run: (file: string, args: readonly string[]) => Promise<string>;
  /** Writes, reads back and deletes a probe entry in the OS keyring. */
  probeKeyring: () => Promise<void>;
  /** The policy service as every command resolves it (URL and CA); undefined when none is set. */
  policyEndpoint: () => Promise<PolicyEndpoint | undefined>;
  /** GETs `url` trusting what the policy client trusts (the system's CAs plus `ca`); resolves with the status. */
  get: (url: string, ca: string | undefined) => Promise<number>;
}

const MIN_NODE = [22, 13, 0] as const;

export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  return Promise.all([
    checkNode(deps),
    checkKubectl(deps),
    checkKeyring(deps),
    checkDirectory('config directory', deps.paths.config, false),
    checkDirectory('state directory', deps.paths.state, true),
    checkPolicyService(deps),
  ]);
}

export function checkNode({ nodeVersion }: Pick<DoctorDeps, 'nodeVersion'>): CheckResult {
  const parts = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const tooOld = MIN_NODE.some((min, i) => {
    const have = parts[i] ?? 0;
    const higherBefore = MIN_NODE.slice(0, i).some((m, j) => (parts[j] ?? 0) !== m);
    return !higherBefore && have < min;
  });
  return tooOld
    ? { name: 'node', status: 'fail', detail: `Node ${nodeVersion} is older than ${MIN_NODE.join('.')}`, fix: 'Install Node.js 22.13 or newer.' }
    : { name: 'node', status: 'ok', detail: `Node ${nodeVersion}` };
}

async function checkKubectl({ env, run }: DoctorDeps): Promise<CheckResult> {
  const kubectl = env.KGATE_KUBECTL || 'kubectl';
  try {
    const out = JSON.parse(await run(kubectl, ['version', '--client', '-o', 'json'])) as { clientVersion?: { gitVersion?: string } };
    return { name: 'kubectl', status: 'ok', detail: `${kubectl} ${out.clientVersion?.gitVersion ?? '(unknown version)'}` };
  } catch {
    return {
      name: 'kubectl',
      status: 'warn',
      detail: `${kubectl} not found or not runnable`,
      fix: 'Install kubectl (https://kubernetes.io/docs/tasks/tools/) or set KGATE_KUBECTL to its path.',
    };
  }
}

async function checkKeyring({ probeKeyring, paths }: DoctorDeps): Promise<CheckResult> {
  try {
    await probeKeyring();
    return { name: 'keyring', status: 'ok', detail: 'OS keyring reachable (write, read and delete of a probe entry worked)' };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    return {
      name: 'keyring',
      status: 'warn',
      detail: `no OS keyring (${reason}); tokens would be kept in a 0600 file under ${paths.state}`,
      fix: 'Start a Secret Service (e.g. gnome-keyring-daemon in a D-Bus session) or pass --token-storage file to accept the file store.',
    };
  }
}

export async function checkDirectory(name: string, dir: string, private_: boolean): Promise<CheckResult> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) return { name, status: 'fail', detail: `${dir} exists but is not a directory`, fix: `Move ${dir} away.` };
    const mode = info.mode & 0o777;
    if (private_ && (mode & 0o077) !== 0) {
      return { name, status: 'warn', detail: `${dir} is readable by others (mode ${mode.toString(8)})`, fix: `chmod 700 ${dir}` };
    }
    return { name, status: 'ok', detail: dir };
  } catch {
    return { name, status: 'ok', detail: `${dir} (not created yet; kgate creates it when needed)` };
  }
}

async function checkPolicyService({ policyEndpoint, get }: DoctorDeps): Promise<CheckResult> {
  const name = 'policy service';
  let endpoint: PolicyEndpoint | undefined;
  try {
    endpoint = await policyEndpoint();
  } catch (error) {
    const body = toErrorBody(error);
    return { name, status: 'fail', detail: body.message, fix: body.suggestions.join(' ') || 'Check KGATE_SERVER, KGATE_SERVER_CA_FILE and KGATE_CA_FILE.' };
  }
  if (!endpoint) {
    return { name, status: 'warn', detail: 'no policy service configured', fix: 'Set KGATE_SERVER (or server: in config.yaml) to the URL of `kgate server`.' };
  }
  const base = endpoint.server.replace(/\/+$/, '');
  try {
    const status = await get(`${base}/healthz`, endpoint.ca);
    return status >= 200 && status < 300
      ? { name, status: 'ok', detail: `${base} answers${endpoint.ca ? ' (its CA trusted from KGATE_SERVER_CA_FILE or KGATE_CA_FILE)' : ''}` }
      : { name, status: 'fail', detail: `${base} answered HTTP ${status}`, fix: 'Check the policy service logs.' };
  } catch (error) {
    const failure = networkFailure(error) ?? { code: 'ERROR', reason: toErrorBody(error).message, tls: false };
    if (failure.tls) {
      return {
        name, status: 'fail', detail: `${base}: TLS ${failure.reason} (${failure.code})`,
        fix: endpoint.ca
          ? 'The CA in KGATE_SERVER_CA_FILE (or KGATE_CA_FILE) does not vouch for this certificate: point it at the CA that issued it.'
          : 'Trust its CA: set KGATE_SERVER_CA_FILE (or KGATE_CA_FILE) to its PEM file.',
      };
    }
    return { name, status: 'fail', detail: `${base} unreachable: ${failure.reason} (${failure.code})`, fix: 'Check KGATE_SERVER and that `kgate server` is running.' };
  }
}

/** How long the health check may take. */
const HEALTH_TIMEOUT_MS = 5_000;

/** The real-world wiring of {@link DoctorDeps}. */
export function systemDoctorDeps(paths: KgatePaths, flags: { server?: string; 'ca-file'?: string } = {}, env: NodeJS.ProcessEnv = process.env): DoctorDeps {
  const exec = promisify(execFile);
  return {
    env,
    nodeVersion: process.version,
    paths,
    run: async (file, args) => (await exec(file, [...args], { timeout: 10_000 })).stdout,
    // The same store kgate keeps tokens in (Secret Service on Linux, never the kernel keyring).
    probeKeyring: async () => {
      const { KeyringSecretStore } = await import('../identity/store/keyring.js');
      const store = new KeyringSecretStore();
      const key = `doctor-probe-${process.pid}`;
      await store.write(key, 'probe');
      try {
        if ((await store.read(key)) !== 'probe') throw new Error('probe entry did not read back');
      } finally {
        await store.remove(key);
      }
    },
    policyEndpoint: async () => (await import('../policy/client-context.js')).policyEndpoint(flags, env),
    get: async (url, ca) => {
      const [{ fetch }, { policyServiceAgent }] = await Promise.all([import('undici'), import('../policy/client.js')]);
      const agent = await policyServiceAgent(ca);
      try {
        const response = await fetch(url, { dispatcher: agent, signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        await response.body?.cancel();
        return response.status;
      } finally {
        await agent.close();
      }
    },
  };
}
