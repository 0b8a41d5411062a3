import { parse } from 'yaml';
import { KgateError } from '../../../../src/cli/errors.js';
import { kubeconfigEntry, parseKubeconfig, withEntry, withoutContext, type EntryInput } from '../../../../src/broker/daemon/kubeconfig-entry.js';

const FILE = '/home/u/.kube/config';
const BROKER = { server: 'https://127.0.0.1:41234/clusters/prod', caFile: '/home/u/.local/state/kgate/broker/ca.crt' };
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const base: EntryInput = {
  cluster: 'prod',
  grant: 'read-only',
  access: { mode: 'broker', server: 'https://127.0.0.1:41234/clusters/prod', caFile: '/home/u/.local/state/kgate/broker/ca.crt' },
  command: '/usr/local/bin/node',
  credentialScript: '/opt/kgate/bin/credential.js',
  env: {},
  cwd: '/work',
};

interface Named { name: string; [field: string]: unknown }
interface Config { clusters: Named[]; users: Named[]; contexts: Named[]; 'current-context'?: string; [key: string]: unknown }

const read = (text: string) => parse(text) as Config;
const names = (items: Named[]) => items.map((i) => i.name);
const add = (text: string, input: Partial<EntryInput> = {}, setCurrent = false) =>
  withEntry(parseKubeconfig(text, FILE), kubeconfigEntry({ ...base, ...input }), { setCurrent }).toString();

const OTHER = `# my clusters
apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: home
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: QUJD
    x-unknown: kept
users:
- name: me
  user:
    token: abc
contexts:
- name: home
  context:
    cluster: home
    user: me
current-context: home
`;

describe('kubeconfigEntry', () => {
  it('names the entry after the cluster and grant and runs the credential plugin with them', () => {
    const entry = kubeconfigEntry({ ...base, namespace: 'apps' });
    expect(entry).toMatchObject({ context: 'kgate-prod', cluster: 'kgate-prod', user: 'kgate-prod-read-only', namespace: 'apps' });
    expect(entry.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      command: '/usr/local/bin/node',
      args: ['/opt/kgate/bin/credential.js', '--cluster', 'prod', '--grant', 'read-only', '--namespace', 'apps'],
      env: [],
      interactiveMode: 'IfAvailable',
      provideClusterInfo: false,
    });
  });

  it('points a gateway context at the service\'s gateway path, with the service CA inline and --gateway --server for the plugin', () => {
    const entry = kubeconfigEntry({ ...base, access: { mode: 'gateway', service: 'https://kgate.example:8443/', caPem: CA_PEM } });
    expect(entry).toMatchObject({ access: 'gateway', server: 'https://kgate.example:8443/gateway/clusters/prod', caData: Buffer.from(CA_PEM).toString('base64') });
    expect(entry.caFile).toBeUndefined();
    expect(entry.exec.args).toEqual(['/opt/kgate/bin/credential.js', '--cluster', 'prod', '--grant', 'read-only', '--gateway', '--server', 'https://kgate.example:8443']);
    const config = read(withEntry(parseKubeconfig('', FILE), entry).toString());
    expect(config.clusters).toEqual([{ name: 'kgate-prod', cluster: { server: entry.server, 'certificate-authority-data': entry.caData } }]);
    // Without a CA of its own the system trust store applies; TLS is never skipped.
    const publicCa = kubeconfigEntry({ ...base, access: { mode: 'gateway', service: 'https://kgate.example' } });
    expect(read(withEntry(parseKubeconfig('', FILE), publicCa).toString()).clusters).toEqual([{ name: 'kgate-prod', cluster: { server: 'https://kgate.example/gateway/clusters/prod' } }]);
  });

  it('replaces a broker context with a gateway one of the same name, and removes it again', () => {
    const gateway = kubeconfigEntry({ ...base, access: { mode: 'gateway', service: 'https://kgate.example' } });
    const doc = withEntry(parseKubeconfig(add(''), FILE), gateway);
    expect(read(doc.toString()).clusters).toEqual([{ name: 'kgate-prod', cluster: { server: 'https://kgate.example/gateway/clusters/prod' } }]);
    const removal = withoutContext(doc, 'kgate-prod');
    expect(removal).toMatchObject({ user: 'kgate-prod-read-only', cluster: 'kgate-prod' });
  });

  it('passes the non-secret KGATE_* settings that are set, with file paths made absolute, and never a secret', () => {
    const entry = kubeconfigEntry({
      ...base,
      env: { KGATE_SERVER: 'https://kgate.example', KGATE_CA_FILE: 'certs/ca.pem', KGATE_CLIENT_SECRET: 'shh', KGATE_TOKEN_STORAGE: '', KGATE_STATE_DIR: '/s', PATH: '/bin' },
    });
    expect(entry.exec.env).toEqual([
      { name: 'KGATE_SERVER', value: 'https://kgate.example' },
      { name: 'KGATE_CA_FILE', value: '/work/certs/ca.pem' },
      { name: 'KGATE_STATE_DIR', value: '/s' },
    ]);
  });

  it('carries an explicit choice of a plain http service to the plugin, so it reaches the same service', () => {
    const entry = kubeconfigEntry({ ...base, env: { KGATE_SERVER: 'http://10.0.0.1:8080', KGATE_INSECURE_HTTP_SERVER: '1' } });
    expect(entry.exec.env).toEqual([
      { name: 'KGATE_SERVER', value: 'http://10.0.0.1:8080' },
      { name: 'KGATE_INSECURE_HTTP_SERVER', value: '1' },
    ]);
  });

  it('uses --context as the context name only', () => {
    expect(kubeconfigEntry({ ...base, context: 'p' })).toMatchObject({ context: 'p', cluster: 'kgate-prod', user: 'kgate-prod-read-only' });
  });
});

describe('withEntry', () => {
  it('adds into an empty (or missing) file a kubeconfig kubectl reads', () => {
    const config = read(add(''));
    expect(config).toMatchObject({ apiVersion: 'v1', kind: 'Config' });
    expect(config.clusters).toEqual([{ name: 'kgate-prod', cluster: { server: BROKER.server, 'certificate-authority': BROKER.caFile } }]);
    expect(config.users).toEqual([{ name: 'kgate-prod-read-only', user: { exec: kubeconfigEntry(base).exec } }]);
    expect(config.contexts).toEqual([{ name: 'kgate-prod', context: { cluster: 'kgate-prod', user: 'kgate-prod-read-only' } }]);
    expect(config['current-context']).toBeUndefined();
  });

  it('keeps other entries, unknown fields, comments and current-context of an existing file', () => {
    const text = add(OTHER, { namespace: 'apps' });
    expect(text.startsWith('# my clusters\n')).toBe(true);
    const config = read(text);
    expect(names(config.clusters)).toEqual(['home', 'kgate-prod']);
    expect(names(config.users)).toEqual(['me', 'kgate-prod-read-only']);
    expect(names(config.contexts)).toEqual(['home', 'kgate-prod']);
    expect(config.clusters[0]).toEqual(read(OTHER).clusters[0]);
    expect(config.contexts[1]!.context).toEqual({ cluster: 'kgate-prod', user: 'kgate-prod-read-only', namespace: 'apps' });
    expect(config['current-context']).toBe('home');
    expect(config.preferences).toEqual({});
  });

  it('sets current-context when asked', () => {
    expect(read(add(OTHER, {}, true))['current-context']).toBe('kgate-prod');
  });

  it('is idempotent: adding the same entry again changes nothing', () => {
    const once = add(OTHER);
    expect(add(once)).toBe(once);
  });

  it('adds into a JSON kubeconfig', () => {
    const json = JSON.stringify(read(OTHER));
    expect(names(read(add(json)).contexts)).toEqual(['home', 'kgate-prod']);
  });

  it('replaces the context\'s previous grant user and drops it when nothing else uses it', () => {
    const config = read(add(add(OTHER), { grant: 'operate' }));
    expect(names(config.users)).toEqual(['me', 'kgate-prod-operate']);
    expect(config.contexts.filter((c) => c.name === 'kgate-prod')).toHaveLength(1);
  });

  it('refuses to overwrite a context kgate did not write', () => {
    const run = () => add(OTHER, { context: 'home' });
    expect(run).toThrow(KgateError);
    expect(run).toThrow(/context home .* not written by kgate/);
  });
});

describe('withoutContext', () => {
  it('removes the context with its user and cluster, leaving the rest', () => {
    const removal = withoutContext(parseKubeconfig(add(OTHER), FILE), 'kgate-prod');
    expect(removal).toMatchObject({ context: 'kgate-prod', user: 'kgate-prod-read-only', cluster: 'kgate-prod', wasCurrent: false });
    expect(read(removal.document.toString())).toEqual(read(OTHER));
  });

  it('keeps a cluster and user another context still uses', () => {
    const two = add(add(OTHER), { context: 'prod-2' });
    const removal = withoutContext(parseKubeconfig(two, FILE), 'kgate-prod');
    expect(removal.user).toBeUndefined();
    expect(removal.cluster).toBeUndefined();
    const config = read(removal.document.toString());
    expect(names(config.contexts)).toEqual(['home', 'prod-2']);
    expect(names(config.clusters)).toEqual(['home', 'kgate-prod']);
    expect(names(config.users)).toEqual(['me', 'kgate-prod-read-only']);
  });

  it('keeps a shared cluster while removing the unshared user', () => {
    const two = add(add(OTHER), { context: 'prod-ops', grant: 'operate' });
    const removal = withoutContext(parseKubeconfig(two, FILE), 'prod-ops');
    expect(removal).toMatchObject({ user: 'kgate-prod-operate' });
    expect(removal.cluster).toBeUndefined();
    expect(names(read(removal.document.toString()).clusters)).toEqual(['home', 'kgate-prod']);
  });

  it('empties current-context when it removes the current context', () => {
    const removal = withoutContext(parseKubeconfig(add(OTHER, {}, true), FILE), 'kgate-prod');
    expect(removal.wasCurrent).toBe(true);
    expect(read(removal.document.toString())['current-context']).toBe('');
  });

  it('fails on an unknown context and on one kgate did not write', () => {
    const doc = parseKubeconfig(add(OTHER), FILE);
    expect(() => withoutContext(doc, 'nope')).toThrow(expect.objectContaining({ code: 'KGATE_KUBECONFIG_NO_CONTEXT', exit: 1 }));
    expect(() => withoutContext(doc, 'home')).toThrow(expect.objectContaining({ code: 'KGATE_KUBECONFIG_CONFLICT' }));
    expect(names(read(doc.toString()).contexts)).toEqual(['home', 'kgate-prod']);
  });
});

describe('parseKubeconfig', () => {
  it.each([
    ['broken YAML', 'apiVersion: v1\nclusters:\n- name: a\n  cluster: [\n', /^\/home\/u\/\.kube\/config:\d+: not valid YAML/],
    ['a duplicate key', 'apiVersion: v1\nkind: Config\nkind: Config\n', /^\/home\/u\/\.kube\/config:3: not valid YAML: Map keys must be unique/],
    ['a list at the top', '- a\n- b\n', /^\/home\/u\/\.kube\/config:1: not a kubeconfig/],
    ['clusters as a mapping', 'apiVersion: v1\nclusters:\n  home: {}\n', /^\/home\/u\/\.kube\/config:3: clusters must be a list/],
    ['a context without a name', 'contexts:\n- name: a\n  context: {}\n- context: {}\n', /^\/home\/u\/\.kube\/config:4: every entry of contexts must be a mapping with a name/],
  ])('refuses %s, naming the file and line', (_what, text, message) => {
    expect(() => parseKubeconfig(text, FILE)).toThrow(message);
  });

  it('treats a file of only comments as empty', () => {
    expect(names(read(add('# nothing yet\n')).contexts)).toEqual(['kgate-prod']);
  });
});
