/**
 * Puts a kgate entry into the user's kubeconfig file, or takes one out: the file kubectl would
 * use (`--kubeconfig`, else the first KUBECONFIG path, else ~/.kube/config), read, edited by
 * kubeconfig-entry.ts and replaced atomically with mode 0600. A file that does not parse is
 * reported and left as it was. Edits are serialised under a lock so two concurrent adds both
 * land.
 */
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withRefreshLock } from '../../identity/refresh-lock.js';
import { writeFileAtomic } from '../../cli/atomic-file.js';
import { openLocalCa } from '../local-ca.js';
import { kubeconfigEntry, parseKubeconfig, withEntry, withoutContext, type EntryInput, type KubeconfigEntry, type Removal } from './kubeconfig-entry.js';
import { brokerLayout, clusterServerUrl } from './layout.js';
import { ensureBrokerPort } from './port.js';

// src/broker/daemon → the package root, in the sources and in dist alike.
const CREDENTIAL_SCRIPT_PATH = fileURLToPath(new URL('../../../bin/credential.js', import.meta.url));

/** The kubeconfig file kubectl would write to. */
export function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (flag) return flag;
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p !== '');
  return first ?? join(home, '.kube', 'config');
}

/** Where kubectl (≥ 1.33) reads its preferences, kuberc. */
export function kubercPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.KUBERC || join(home, '.kube', 'kuberc');
}

/** The kuberc lines that let kubectl ≥ 1.35 run the plugin under `credentialPluginPolicy: Allowlist`. */
export function kubercAllowlist(command: string): string {
  return [
    'apiVersion: kubectl.config.k8s.io/v1beta1',
    'kind: Preference',
    'credentialPluginPolicy: Allowlist',
    'credentialPluginAllowlist:',
    `  - name: ${JSON.stringify(command)}`,
  ].join('\n');
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function edit<T extends { document: { toString(): string } }>(stateDir: string, file: string, change: (text: string) => T): Promise<T> {
  // Replace a symlinked kubeconfig's target, not the link.
  const target = await realpath(file).catch(() => file);
  return withRefreshLock(stateDir, 'kubeconfig', async () => {
    const result = change(await readText(target));
    await writeFileAtomic(target, result.document.toString(), 0o600);
    return result;
  });
}

/** Options of {@link addKubeconfigEntry}. */
export interface AddOptions {
  stateDir: string;
  file: string;
  cluster: string;
  grant: string;
  namespace?: string;
  context?: string;
  setCurrent?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The cluster is served by the kgate gateway under this policy service (CA PEM when not a public one); else the local broker. */
  gateway?: { service: string; caPem?: string };
}

async function brokerAccess(stateDir: string, cluster: string): Promise<EntryInput['access']> {
  const port = await ensureBrokerPort(stateDir);
  await openLocalCa(stateDir);
  return { mode: 'broker', server: clusterServerUrl(port, cluster), caFile: resolve(brokerLayout(stateDir).caCert) };
}

/**
 * Writes the entry for `cluster` and `grant`: a gateway context, or a broker context (creating
 * the broker's port and CA if need be).
 */
export async function addKubeconfigEntry(options: AddOptions): Promise<KubeconfigEntry> {
  const access: EntryInput['access'] = options.gateway
    ? { mode: 'gateway', service: options.gateway.service, ...(options.gateway.caPem ? { caPem: options.gateway.caPem } : {}) }
    : await brokerAccess(options.stateDir, options.cluster);
  const entry = kubeconfigEntry({
    cluster: options.cluster,
    grant: options.grant,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.context ? { context: options.context } : {}),
    access,
    command: process.execPath,
    credentialScript: CREDENTIAL_SCRIPT_PATH,
    env: options.env ?? process.env,
    cwd: process.cwd(),
  });
  await edit(options.stateDir, options.file, (text) => ({ document: withEntry(parseKubeconfig(text, options.file), entry, { setCurrent: options.setCurrent }) }));
  return entry;
}

/** Removes the kgate context `context`, and its user and cluster where no other context uses them. */
export async function removeKubeconfigEntry(stateDir: string, file: string, context: string): Promise<Omit<Removal, 'document'>> {
  const { document: _written, ...removal } = await edit(stateDir, file, (text) => withoutContext(parseKubeconfig(text, file), context));
  return removal;
}
