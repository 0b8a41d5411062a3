/**
 * The temporary kubeconfig a wrapped command (or a caller of the broker) uses: it points at the
 * loopback listener, trusts only the local CA and carries only the session token, so nothing in
 * it reaches a cluster without passing the broker. It lives in a fresh 0700 directory, is
 * created 0600 with O_EXCL (never following or reusing something already there), and is
 * removed by the returned `dispose`.
 */
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
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
  /** PEM of the CA that signs the server's certificate; absent: the system trust store. */
  caCertificate?: string;
  token: string;
  /**
   * Keep the token in a 0600 file beside the kubeconfig (`tokenFile`), which clients re-read, so
   * it can be replaced under a running command (see {@link SessionKubeconfig.replaceToken}).
   */
  tokenInFile?: boolean;
  clusters: readonly SessionCluster[];
  /** Defaults to the first cluster. */
  currentContext?: string;
  /** Parent of the private temp directory (default: the OS temp directory). */
  tempRoot?: string;
}

/** A written kubeconfig and how to remove it. */
export interface SessionKubeconfig {
  path: string;
  /** Swaps the token in the token file (only with `tokenInFile`). */
  replaceToken(token: string): Promise<void>;
  /** Removes the file and its directory; safe to call more than once. */
  dispose(): Promise<void>;
}

const USER = 'kgate-session';

/** Writes the kubeconfig; see the module comment for how it is protected. */
export async function writeSessionKubeconfig(options: SessionKubeconfigOptions): Promise<SessionKubeconfig> {
  const dir = await mkdtemp(join(options.tempRoot ?? tmpdir(), 'kgate-session-'));
  const path = join(dir, 'kubeconfig');
  const tokenFile = options.tokenInFile ? join(dir, 'token') : undefined;
  const document = sessionKubeconfigDocument({ ...options, ...(tokenFile ? { tokenFile } : {}) });
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    if (tokenFile) await writeNew(tokenFile, options.token);
    await writeNew(path, JSON.stringify(document, null, 2) + '\n');
  } catch (error) {
    await dispose();
    throw error;
  }
  const replaceToken = async (token: string) => {
    if (!tokenFile) throw new Error('this session kubeconfig has no token file');
    // Each written beside and renamed over, so a reader never sees half a file.
    await replaceFile(tokenFile, token);
    await replaceFile(path, JSON.stringify(sessionKubeconfigDocument({ ...options, token, tokenFile }), null, 2) + '\n');
  };
  return { path, replaceToken, dispose };
}

async function replaceFile(path: string, text: string): Promise<void> {
  const next = `${path}.next`;
  await rm(next, { force: true });
  await writeNew(next, text);
  await rename(next, path);
}

/** Creates `path` 0600 with O_EXCL (never following or reusing what is there) and writes `text`. */
async function writeNew(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

/** The kubeconfig document itself (JSON is valid kubeconfig YAML). */
export function sessionKubeconfigDocument(options: SessionKubeconfigOptions & { tokenFile?: string }): Record<string, unknown> {
  if (options.clusters.length === 0) throw new Error('a session kubeconfig needs at least one cluster');
  const names = options.clusters.map((c) => c.name);
  const current = options.currentContext ?? names[0]!;
  if (!names.includes(current)) throw new Error(`current context ${JSON.stringify(current)} is not one of the clusters`);
  const ca = options.caCertificate ? { 'certificate-authority-data': Buffer.from(options.caCertificate, 'utf8').toString('base64') } : {};
  const base = options.url.replace(/\/+$/, '');
  // With a token file the token is inline too: client-go re-reads the file under a long-running
  // client, while clients that know no tokenFile (@kubernetes/client-node) read the inline one.
  const user = { token: options.token, ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}) };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: options.clusters.map((c) => ({ name: c.name, cluster: { server: base + normalisePrefix(c.pathPrefix), ...ca } })),
    users: [{ name: USER, user }],
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
