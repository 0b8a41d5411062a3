/**
 * The kubeconfig entry `kgate kubeconfig add` writes, and the edits that put it into (or take it
 * out of) a kubeconfig someone else also edits. Pure: text in, YAML document out, nothing read
 * or written here. Edits go through the `yaml` document model so other clusters, users,
 * contexts, unknown fields and comments survive, and a file kubectl cannot read is refused with
 * its line rather than rewritten. Only entries kgate wrote are ever replaced or removed.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { ExitCode, KgateError } from '../../cli/errors.js';

/** The file name of the credential plugin script an entry runs; how kgate recognises its entries. */
export const CREDENTIAL_SCRIPT = 'credential.js';

/**
 * Settings the plugin inherits from the shell that ran `kubeconfig add`, so kubectl started from
 * anywhere reaches the same IdP, service and state. Secrets (KGATE_CLIENT_SECRET, tokens) are
 * deliberately absent: a kubeconfig is not a secret store.
 */
export const PLUGIN_ENV = [
  'KGATE_SERVER', 'KGATE_ISSUER', 'KGATE_CLIENT_ID', 'KGATE_AUDIENCE', 'KGATE_CA_FILE', 'KGATE_SERVER_CA_FILE',
  'KGATE_CLIENT_SECRET_FILE', 'KGATE_TOKEN_STORAGE', 'KGATE_STATE_DIR', 'KGATE_CONFIG_DIR',
  // An http:// service on another machine was allowed explicitly; the plugin must reach it too.
  'KGATE_INSECURE_HTTP_SERVER',
] as const;

// kubectl runs the plugin from whatever directory it was started in.
const PATH_ENV = new Set<string>(['KGATE_CA_FILE', 'KGATE_SERVER_CA_FILE', 'KGATE_CLIENT_SECRET_FILE', 'KGATE_STATE_DIR', 'KGATE_CONFIG_DIR']);

/** `users[].user.exec` of an entry. */
export interface ExecPlugin {
  apiVersion: 'client.authentication.k8s.io/v1';
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  interactiveMode: 'IfAvailable';
  provideClusterInfo: false;
}

/** One cluster, user and context, named and filled in. */
export interface KubeconfigEntry {
  context: string;
  cluster: string;
  user: string;
  /** How the cluster is reached: the local broker daemon, or the kgate gateway. */
  access: 'broker' | 'gateway';
  server: string;
  /** Absolute path of the broker's CA certificate (broker contexts). */
  caFile?: string;
  /** The policy service's CA, base64 PEM (gateway contexts; absent: the system's trust store). */
  caData?: string;
  namespace?: string;
  exec: ExecPlugin;
}

/** What {@link kubeconfigEntry} needs. */
export interface EntryInput {
  cluster: string;
  grant: string;
  namespace?: string;
  /** Context name (default `kgate-<cluster>`). */
  context?: string;
  /**
   * Broker contexts: `clusterServerUrl(port, cluster)` and the broker's CA file. Gateway contexts:
   * the policy service's URL (the gateway is served under it) and its CA, if not a public one.
   */
  access: { mode: 'broker'; server: string; caFile: string } | { mode: 'gateway'; service: string; caPem?: string };
  /** Absolute path of the Node binary. */
  command: string;
  /** Absolute path of bin/credential.js. */
  credentialScript: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Where the kgate gateway serves `cluster` under the policy service's URL (as the service's gatewayPath). */
export function gatewayPath(cluster: string): string {
  return `/gateway/clusters/${cluster}`;
}

/** The entry for one cluster and grant. */
export function kubeconfigEntry(input: EntryInput): KubeconfigEntry {
  const env = PLUGIN_ENV.flatMap((name) => {
    const value = input.env[name];
    if (!value) return [];
    return [{ name, value: PATH_ENV.has(name) && !isAbsolute(value) ? resolve(input.cwd, value) : value }];
  });
  const { access } = input;
  const service = access.mode === 'gateway' ? access.service.replace(/\/+$/, '') : '';
  return {
    context: input.context || `kgate-${input.cluster}`,
    cluster: `kgate-${input.cluster}`,
    user: `kgate-${input.cluster}-${input.grant}`,
    access: access.mode,
    ...(access.mode === 'broker'
      ? { server: access.server, caFile: access.caFile }
      : { server: `${service}${gatewayPath(input.cluster)}`, ...(access.caPem ? { caData: Buffer.from(access.caPem, 'utf8').toString('base64') } : {}) }),
    ...(input.namespace ? { namespace: input.namespace } : {}),
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: input.command,
      args: [
        input.credentialScript, '--cluster', input.cluster, '--grant', input.grant, ...(input.namespace ? ['--namespace', input.namespace] : []),
        ...(access.mode === 'gateway' ? ['--gateway', '--server', service] : []),
      ],
      env,
      interactiveMode: 'IfAvailable',
      provideClusterInfo: false,
    },
  };
}

type Section = 'clusters' | 'users' | 'contexts';
const FIELD: Record<Section, string> = { clusters: 'cluster', users: 'user', contexts: 'context' };

function invalid(file: string, line: number | undefined, message: string): KgateError {
  return new KgateError(`${file}${line ? `:${line}` : ''}: ${message}`, {
    code: 'KGATE_KUBECONFIG_INVALID',
    exit: ExitCode.Error,
    suggestions: [`Fix ${file} by hand (kubectl config view --kubeconfig ${file} shows what kubectl makes of it), then try again; kgate did not change it.`],
  });
}

/**
 * Parses a kubeconfig (empty text gives a new one) and checks the shape kgate edits: a mapping
 * whose clusters, users and contexts are lists of named mappings.
 */
export function parseKubeconfig(text: string, file: string): Document {
  if (text.trim() === '') return new Document({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const [error] = doc.errors;
  if (error) throw invalid(file, error.linePos?.[0].line, `not valid YAML: ${error.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    doc.contents = doc.createNode({ apiVersion: 'v1', kind: 'Config' }) as unknown as typeof doc.contents;
  }
  if (!isMap(doc.contents)) throw invalid(file, lineOf(doc.contents), 'not a kubeconfig: the top level must be a mapping');
  for (const section of Object.keys(FIELD) as Section[]) {
    const node = doc.get(section, true) as Node | undefined;
    if (node === undefined || (isScalar(node) && node.value === null)) continue;
    if (!isSeq(node)) throw invalid(file, lineOf(node), `${section} must be a list`);
    for (const item of node.items as Node[]) {
      if (!isMap(item) || typeof item.get('name') !== 'string') throw invalid(file, lineOf(item), `every entry of ${section} must be a mapping with a name`);
    }
  }
  return doc;
}

function sectionOf(doc: Document, section: Section): YAMLSeq<YAMLMap> {
  const node = doc.get(section, true);
  if (isSeq(node)) return node as YAMLSeq<YAMLMap>;
  const created = doc.createNode([]) as YAMLSeq<YAMLMap>;
  doc.set(section, created);
  return created;
}

function find(doc: Document, section: Section, name: string): YAMLMap | undefined {
  return sectionOf(doc, section).items.find((item) => item.get('name') === name);
}

function plain(item: YAMLMap | undefined, field: string): Record<string, unknown> | undefined {
  const value = item?.toJSON() as Record<string, unknown> | undefined;
  const inner = value?.[field];
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : undefined;
}

/** Whether a `users[]` entry is one kgate wrote: it runs kgate's credential plugin. */
function isKgateUser(item: YAMLMap | undefined): boolean {
  const exec = plain(item, 'user')?.exec as { args?: unknown } | undefined;
  const first = Array.isArray(exec?.args) ? exec.args[0] : undefined;
  return typeof first === 'string' && basename(first) === CREDENTIAL_SCRIPT;
}

/** Whether a `clusters[]` entry is one kgate wrote: it points at the broker on loopback, or at a kgate gateway. */
function isKgateCluster(item: YAMLMap | undefined): boolean {
  const server = plain(item, 'cluster')?.server;
  return typeof server === 'string' && (/^https:\/\/127\.0\.0\.1:\d+\/clusters\//.test(server) || /^https:\/\/[^/]+(\/[^?#]*)?\/gateway\/clusters\/[^/]+$/.test(server));
}

function isKgateContext(doc: Document, item: YAMLMap | undefined): boolean {
  const user = plain(item, 'context')?.user;
  return typeof user === 'string' && isKgateUser(find(doc, 'users', user));
}

function notOurs(section: Section, name: string): KgateError {
  return new KgateError(`The ${FIELD[section]} ${name} in the kubeconfig was not written by kgate; leaving it alone`, {
    code: 'KGATE_KUBECONFIG_CONFLICT',
    exit: ExitCode.Usage,
    suggestions: section === 'contexts' ? ['Pick another name with --context NAME.'] : [`Rename or remove the ${FIELD[section]} ${name} first (kubectl config).`],
  });
}

function put(doc: Document, section: Section, name: string, body: Record<string, unknown>): void {
  const items = sectionOf(doc, section).items;
  const node = doc.createNode({ name, [FIELD[section]]: body }) as YAMLMap;
  const index = items.findIndex((item) => item.get('name') === name);
  if (index === -1) items.push(node);
  else items[index] = node;
}

function referenced(doc: Document, field: 'cluster' | 'user', name: string): boolean {
  return sectionOf(doc, 'contexts').items.some((item) => plain(item, 'context')?.[field] === name);
}

/** Removes a kgate cluster or user no context names any more. */
function prune(doc: Document, section: 'clusters' | 'users', name: string | undefined): boolean {
  if (name === undefined || referenced(doc, FIELD[section] as 'cluster' | 'user', name)) return false;
  const item = find(doc, section, name);
  if (!item || !(section === 'users' ? isKgateUser(item) : isKgateCluster(item))) return false;
  const items = sectionOf(doc, section).items;
  items.splice(items.indexOf(item), 1);
  return true;
}

/**
 * A copy of `doc` with the entry's cluster, user and context in place of any kgate entries of
 * the same names (so adding twice changes nothing); a user or cluster the replaced context used
 * and nothing else does goes too. Refuses to replace entries kgate did not write.
 */
export function withEntry(doc: Document, entry: KubeconfigEntry, options: { setCurrent?: boolean } = {}): Document {
  const next = doc.clone();
  const existing = find(next, 'contexts', entry.context);
  if (existing && !isKgateContext(next, existing)) throw notOurs('contexts', entry.context);
  const cluster = find(next, 'clusters', entry.cluster);
  if (cluster && !isKgateCluster(cluster)) throw notOurs('clusters', entry.cluster);
  const user = find(next, 'users', entry.user);
  if (user && !isKgateUser(user)) throw notOurs('users', entry.user);
  const before = plain(existing, 'context');
  put(next, 'clusters', entry.cluster, {
    server: entry.server,
    ...(entry.caFile ? { 'certificate-authority': entry.caFile } : {}),
    ...(entry.caData ? { 'certificate-authority-data': entry.caData } : {}),
  });
  put(next, 'users', entry.user, { exec: entry.exec });
  put(next, 'contexts', entry.context, { cluster: entry.cluster, user: entry.user, ...(entry.namespace ? { namespace: entry.namespace } : {}) });
  prune(next, 'users', before?.user as string | undefined);
  prune(next, 'clusters', before?.cluster as string | undefined);
  if (options.setCurrent) next.set('current-context', entry.context);
  return next;
}

/** What {@link withoutContext} took out. */
export interface Removal {
  document: Document;
  context: string;
  /** The user and cluster removed with it (absent when another context still uses them). */
  user?: string;
  cluster?: string;
  /** The context was the current one; current-context is now empty. */
  wasCurrent: boolean;
}

/** A copy of `doc` without the kgate context `name`, and its user and cluster where unshared. */
export function withoutContext(doc: Document, name: string): Removal {
  const next = doc.clone();
  const item = find(next, 'contexts', name);
  if (!item) {
    throw new KgateError(`There is no context ${name} in the kubeconfig`, {
      code: 'KGATE_KUBECONFIG_NO_CONTEXT',
      exit: ExitCode.Error,
      suggestions: ['kubectl config get-contexts lists the contexts there are.'],
    });
  }
  if (!isKgateContext(next, item)) throw notOurs('contexts', name);
  const context = plain(item, 'context') ?? {};
  const contexts = sectionOf(next, 'contexts').items;
  contexts.splice(contexts.indexOf(item), 1);
  const user = typeof context.user === 'string' && prune(next, 'users', context.user) ? context.user : undefined;
  const cluster = typeof context.cluster === 'string' && prune(next, 'clusters', context.cluster) ? context.cluster : undefined;
  const wasCurrent = next.get('current-context') === name;
  if (wasCurrent) next.set('current-context', '');
  return { document: next, context: name, ...(user ? { user } : {}), ...(cluster ? { cluster } : {}), wasCurrent };
}
