/**
 * The temporary kubeconfig a wrapped command (or a caller of the broker) uses: it points at the
 * loopback listener, trusts only the local CA and carries only the session token, so nothing in
 * it reaches a cluster without passing the broker. It lives in a fresh 0700 directory, is
 * created 0600 with O_EXCL (never following or reusing something already there), and is
 * removed by the returned `dispose`.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One cluster the kubeconfig offers, as a context of the same name. */
export interface SessionCluster {
  name: string;
  /** Appended to the listener URL, e.g. `/clusters/prod`, when one listener serves several clusters. */
  pathPrefix?: string;
  /** The context's default namespace. */
  namespace?: string;
}

/** Options of {@link writeSessionKubeconfig}. */
export interface SessionKubeconfigOptions {
  /** The listener's URL, e.g. `https://127.0.0.1:43125`. */
  url: string;
  /** PEM of the local CA certificate. */
  caCertificate: string;
  token: string;
  clusters: readonly SessionCluster[];
  /** Defaults to the first cluster. */
  currentContext?: string;
  /** Parent of the private temp directory (default: the OS temp directory). */
  tempRoot?: string;
}

/** A written kubeconfig and how to remove it. */
export interface SessionKubeconfig {
  path: string;
  /** Removes the file and its directory; safe to call more than once. */
  dispose(): Promise<void>;
}

const USER = 'kgate-session';

/** Writes the kubeconfig; see the module comment for how it is protected. */
export async function writeSessionKubeconfig(options: SessionKubeconfigOptions): Promise<SessionKubeconfig> {
  const document = sessionKubeconfigDocument(options);
  const dir = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'kgate-session-'));
  const path = join(dir, 'kubeconfig');
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(document, null, 2) + '\n', 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return { path, dispose };
}

/** The kubeconfig document itself (JSON is valid kubeconfig YAML). */
export function sessionKubeconfigDocument(options: SessionKubeconfigOptions): Record<string, unknown> {
  if (options.clusters.length === 0) throw new Error('a session kubeconfig needs at least one cluster');
  const names = options.clusters.map((c) => c.name);
  const current = options.currentContext ?? names[0]!;
  if (!names.includes(current)) throw new Error(`current context ${JSON.stringify(current)} is not one of the clusters`);
  const caData = Buffer.from(options.caCertificate, 'utf8').toString('base64');
  const base = options.url.replace(/\/+$/, '');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: options.clusters.map((c) => ({ name: c.name, cluster: { server: base + normalisePrefix(c.pathPrefix), 'certificate-authority-data': caData } })),
    users: [{ name: USER, user: { token: options.token } }],
    contexts: options.clusters.map((c) => ({ name: c.name, context: { cluster: c.name, user: USER, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    'current-context': current,
    preferences: {},
  };
}

function normalisePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}
