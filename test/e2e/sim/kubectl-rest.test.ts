/**
 * The simulated kube-apiserver's REST core against the REAL kubectl (1.32 on PATH and 1.30/1.31
 * where installed). Authentication and authorization are test-local here (one random admin token,
 * an authorizer that allows everything except the `forbidden-ns` namespace) because the real
 * ones are tested with the auth plug-ins.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findKubectls, kubectl, writeKubeconfig, type KubectlBinary } from '../../support/kubectl.js';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube/server.js';
import { MemoryStore } from '../../sim/kube/store.js';
import { seedCluster } from '../../sim/kube/seed.js';
import { createSimTls, type SimTls } from '../../sim/tls.js';
import type { Attributes, Authorizer } from '../../sim/kube/types.js';
import { scratchDir } from '../../support/scratch.js';

const binaries = await withKubectl130(await findKubectls());

/** findKubectls offers the newest and one of 1.30/1.31; the oldest JSON-only client (1.30) is worth its seconds too. */
async function withKubectl130(found: KubectlBinary[]): Promise<KubectlBinary[]> {
  const sibling = join(dirname(realpathSync(found[0]!.path)), 'kubectl.1.30');
  return existsSync(sibling) && !found.some((b) => b.minor === '1.30') ? [...found, { path: sibling, minor: '1.30' }] : found;
}
const TOKEN = randomBytes(24).toString('base64url');

const authorizer: Authorizer = {
  authorize: (a: Attributes) => (a.namespace === 'forbidden-ns' ? { allowed: false, reason: 'test policy says no' } : { allowed: true, reason: '' }),
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

let tls: SimTls;
let server: KubeApiServer;
let store: MemoryStore;
let stopSeed: () => void;
let kubeconfig: string;
let dir: string;
const logLines: string[] = [];

beforeAll(async () => {
  tls = await createSimTls();
  store = new MemoryStore();
  stopSeed = seedCluster(store);
  server = await startKubeApiServer({
    tls, store, authorizer, log: (l) => logLines.push(l),
    authenticator: { authenticate: async (t) => (t === TOKEN ? { username: 'admin', groups: ['system:masters'] } : null) },
  });
  dir = scratchDir('kgate-kube-rest-');
  writeFileSync(join(dir, 'ca.crt'), tls.ca.cert);
  kubeconfig = writeKubeconfig({ server: server.url, caFile: join(dir, 'ca.crt'), user: { token: TOKEN } });
});

afterAll(async () => {
  stopSeed();
  await server.close();
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One HTTPS request to the sim with the admin token. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, method, path, ca: tls.ca.cert, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(binaries.map((b) => [b.minor, b.path] as const))('kubectl %s', (minor, binary) => {
  const k = (args: string[]) => kubectl(args, { kubeconfig, binary });
  const ns = `team-${minor.replace('.', '')}`;

  test('get ns, create namespace (protobuf body from 1.32) and the default ServiceAccount appears', async () => {
    const list = await k(['get', 'ns']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/);
    expect(list.stdout).toMatch(/\nkube-system\s+Active\s+\d+s\n/);
    const created = await k(['create', 'namespace', ns]);
    expect(created).toMatchObject({ code: 0, stdout: `namespace/${ns} created\n` });
    expect(logLines.filter((l) => l.includes('protobuf'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    const sa = await k(['get', 'sa', '-n', ns, '-o', 'name']);
    expect(sa.stdout).toBe('serviceaccount/default\n');
  });

  test('create secret generic, get secrets -A -o yaml, and NotFound wording', async () => {
    expect((await k(['create', 'secret', 'generic', 'db', '-n', ns, '--from-literal=password=s3cret'])).stdout).toBe('secret/db created\n');
    const all = await k(['get', 'secrets', '-A', '-o', 'yaml']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`password: ${Buffer.from('s3cret').toString('base64')}`);
    expect(all.stdout).toContain(`namespace: ${ns}`);
    const table = await k(['get', 'secrets', '-n', ns]);
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ndb\s+Opaque\s+1\s+\d+s\n$/);
    const missing = await k(['get', 'secret', 'nope', '-n', ns]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): secrets "nope" not found\n');
  });

  test('create -f validates through OpenAPI v3 without --validate=false', async () => {
    const manifest = file(`pod-${minor}.yaml`, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: ${ns}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n`);
    const created = await k(['create', '-f', manifest]);
    expect(created).toMatchObject({ code: 0, stdout: 'pod/web created\n' });
    const pods = await k(['get', 'pods', '-A']);
    expect(pods.stdout).toMatch(new RegExp(`\\n${ns}\\s+web\\s+0/1\\s+Pending\\s+0\\s+\\d+s\\n`));
    const json = JSON.parse((await k(['get', 'pod', 'web', '-n', ns, '-o', 'json'])).stdout) as { spec: { restartPolicy: string; containers: { imagePullPolicy: string }[] } };
    expect(json.spec.restartPolicy).toBe('Always');
    expect(json.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
    const unknownField = await k(['create', '-f', file(`bad-${minor}.yaml`, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n  namespace: ${ns}\nspec:\n  containers: []\n`)]);
    expect(unknownField.code).toBe(1);
    expect(unknownField.stderr).toContain('The Pod "Bad_Name" is invalid:');
    expect(unknownField.stderr).toContain('metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain');
    expect(unknownField.stderr).toContain('spec.containers: Required value');
  });

  test('apply -f creates, then patches with a strategic merge patch', async () => {
    const manifest = (value: string) => file(`cm-${minor}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  mode: ${value}\n`);
    expect((await k(['apply', '-f', manifest('one')])).stdout).toBe('configmap/settings created\n');
    expect((await k(['apply', '-f', manifest('one')])).stdout).toBe('configmap/settings unchanged\n');
    expect((await k(['apply', '-f', manifest('two')])).stdout).toBe('configmap/settings configured\n');
    expect((await k(['get', 'cm', 'settings', '-n', ns, '-o', 'jsonpath={.data.mode}'])).stdout).toBe('two');
  });

  test('apply --server-side creates and merges, recording the field manager', async () => {
    const manifest = (keys: string) => file(`ssa-${minor}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ${ns}\ndata:\n${keys}`);
    expect((await k(['apply', '--server-side', '-f', manifest('  a: "1"\n  b: "2"\n')])).stdout).toBe('configmap/ssa serverside-applied\n');
    expect((await k(['apply', '--server-side', '-f', manifest('  a: "1"\n  c: "3"\n')])).stdout).toBe('configmap/ssa serverside-applied\n');
    const object = JSON.parse((await k(['get', 'cm', 'ssa', '-n', ns, '-o', 'json', '--show-managed-fields'])).stdout) as { data: Record<string, string>; metadata: { managedFields: { manager: string; operation: string }[] } };
    // b was applied before and is no longer: server-side apply removes it.
    expect(object.data).toEqual({ a: '1', c: '3' });
    expect(object.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`)).toEqual(['kubectl/Apply']);
  });

  test('apply --server-side conflicts with another manager until --force-conflicts', async () => {
    expect((await k(['create', 'configmap', 'owned', '-n', ns, '--from-literal=a=1'])).code).toBe(0);
    const manifest = file(`owned-${minor}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  namespace: ${ns}\ndata:\n  a: "2"\n`);
    const refused = await k(['apply', '--server-side', '-f', manifest]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a');
    const forced = await k(['apply', '--server-side', '--force-conflicts', '-f', manifest]);
    expect(forced).toMatchObject({ code: 0, stdout: 'configmap/owned serverside-applied\n' });
    expect((await k(['get', 'cm', 'owned', '-n', ns, '-o', 'jsonpath={.data.a}'])).stdout).toBe('2');
  });

  test('delete waits for the object to disappear', async () => {
    const started = Date.now();
    const deleted = await k(['delete', 'cm', 'settings', '-n', ns]);
    expect(deleted).toMatchObject({ code: 0, stdout: 'configmap "settings" deleted\n' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await k(['get', 'cm', 'settings', '-n', ns])).stderr).toContain('configmaps "settings" not found');
  });

  test('get --raw /version, api-resources, -o json list shape, 403 and 401', async () => {
    expect(JSON.parse((await k(['get', '--raw', '/version'])).stdout)).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
    const resources = await k(['api-resources']);
    expect(resources.stdout).toMatch(/\nrolebindings\s+rbac\.authorization\.k8s\.io\/v1\s+true\s+RoleBinding\n/);
    expect(resources.stdout).toMatch(/\npods\s+po\s+v1\s+true\s+Pod\n/);
    const list = JSON.parse((await k(['get', 'secrets', '-n', ns, '-o', 'json'])).stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items[0]!.kind).toBe('Secret');
    const denied = await k(['get', 'secrets', '-n', 'forbidden-ns']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe('Error from server (Forbidden): secrets is forbidden: User "admin" cannot list resource "secrets" in API group "" in the namespace "forbidden-ns": test policy says no\n');
    const badToken = writeKubeconfig({ server: server.url, caFile: join(dir, 'ca.crt'), user: { token: 'wrong' } });
    const unauthorized = await kubectl(['get', 'ns'], { kubeconfig: badToken, binary });
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain('error: You must be logged in to the server');
  });

  test('delete namespace: Terminating, then it and its contents are gone', async () => {
    const deleted = await k(['delete', 'namespace', ns]);
    expect(deleted).toMatchObject({ code: 0, stdout: `namespace "${ns}" deleted\n` });
    expect(store.get({ group: '', resource: 'namespaces' }, '', ns)).toBeUndefined();
    expect(store.list({ group: '', resource: 'secrets' }, ns).items).toEqual([]);
    expect((await k(['delete', 'namespace', 'default'])).stderr).toContain('namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

describe('kubectl get -w', () => {
  test('streams an object created while watching', async () => {
    const cacheDir = scratchDir('kgate-kubecache-');
    const child = spawn(binaries[0]!.path, ['get', 'configmaps', '-n', 'default', '-w'], { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir } });
    let out = '';
    const seen = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('watched-cm')) resolve();
    }));
    await new Promise((r) => setTimeout(r, 1500));
    await kubectl(['create', 'configmap', 'watched-cm', '-n', 'default', '--from-literal=k=v'], { kubeconfig });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([seen, new Promise((r) => (timer = setTimeout(r, 8000)))]);
    clearTimeout(timer);
    child.kill('SIGKILL');
    expect(out).toMatch(/watched-cm\s+1\s+\d+s/);
  });
});

describe('wire details kubectl and client-go rely on', () => {
  test('aggregated discovery only when asked, on both /api and /apis', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    for (const path of ['/api', '/apis']) {
      const res = await raw('GET', path, { Accept: accept });
      expect(res.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(JSON.parse(res.body.toString())).toMatchObject({ kind: 'APIGroupDiscoveryList' });
    }
    expect(JSON.parse((await raw('GET', '/api', { Accept: 'application/json' })).body.toString())).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
  });

  test('Audit-Id is echoed or minted; errors are Status objects', async () => {
    expect((await raw('GET', '/version', { 'Audit-Id': 'abc-123' })).headers['audit-id']).toBe('abc-123');
    expect((await raw('GET', '/version')).headers['audit-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unknown = await raw('GET', '/api/v1/namespaces/default/widgets');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString())).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    const badMethod = await raw('POST', '/api/v1/namespaces/default/pods/x');
    expect(JSON.parse(badMethod.body.toString())).toMatchObject({ code: 405, reason: 'MethodNotAllowed' });
    const badJson = await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, '{nope');
    expect(JSON.parse(badJson.body.toString())).toMatchObject({ code: 400, reason: 'BadRequest' });
    const badType = await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'text/plain' }, 'x');
    expect(JSON.parse(badType.body.toString())).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const tooBig = await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, Buffer.alloc(3 * 1024 * 1024 + 1, 32));
    expect(tooBig.status).toBe(413);
    const wrongNs = await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, JSON.stringify({ metadata: { name: 'x', namespace: 'other' } }));
    expect(JSON.parse(wrongNs.body.toString())).toMatchObject({ code: 400, message: 'the namespace of the provided object does not match the namespace sent on the request' });
    const noNs = await raw('POST', '/api/v1/namespaces/ghost/configmaps', { 'Content-Type': 'application/json' }, JSON.stringify({ metadata: { name: 'x' } }));
    expect(JSON.parse(noNs.body.toString())).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' });
  });

  test('upgrades: exec on a missing pod is 404, other upgrades 400, both as Status on the socket', async () => {
    const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' };
    const exec = await raw('GET', '/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true', upgrade);
    expect(exec.status).toBe(404);
    expect(JSON.parse(exec.body.toString())).toMatchObject({ kind: 'Status', message: 'pods "nope" not found' });
    const other = await raw('GET', '/api/v1/namespaces?watch=1', upgrade);
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body.toString())).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  test('watch: an object leaving the label selector is DELETED; a compacted resourceVersion is an ERROR 410 event', async () => {
    const cm = (labels: Record<string, string>) => JSON.stringify({ metadata: { name: 'sel', labels } });
    const created = JSON.parse((await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, cm({ tier: 'a' }))).body.toString()) as { metadata: { resourceVersion: string } };
    const from = Number(created.metadata.resourceVersion) - 1;
    await raw('PATCH', '/api/v1/namespaces/default/configmaps/sel', { 'Content-Type': 'application/merge-patch+json' }, JSON.stringify({ metadata: { labels: { tier: 'b' } } }));
    const stream = await raw('GET', `/api/v1/namespaces/default/configmaps?watch=true&labelSelector=tier%3Da&resourceVersion=${from}&timeoutSeconds=1`);
    expect(stream.headers['content-type']).toBe('application/json');
    const types = stream.body.toString().trim().split('\n').map((l) => (JSON.parse(l) as { type: string; object: { metadata: { labels: Record<string, string> } } }));
    expect(types.map((e) => `${e.type}:${e.object.metadata.labels.tier}`)).toEqual(['ADDED:a', 'DELETED:b']);
    await raw('DELETE', '/api/v1/namespaces/default/configmaps/sel');

    const small = new MemoryStore({ historySize: 2 });
    seedCluster(small)();
    const other = await startKubeApiServer({ tls, store: small, authorizer, authenticator: { authenticate: async () => ({ username: 'admin', groups: [] }) } });
    try {
      const url = new URL(other.url);
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: url.hostname, port: url.port, path: '/api/v1/namespaces?watch=1&resourceVersion=1', ca: tls.ca.cert, headers: { Authorization: 'Bearer any' } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      expect(JSON.parse(body)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    } finally {
      await other.close();
    }
  });

  test('limit/continue pages through a list; bad Secret bytes are a 400; dryRun=All stores nothing', async () => {
    const first = JSON.parse((await raw('GET', '/api/v1/serviceaccounts?limit=2')).body.toString()) as { metadata: { continue?: string; remainingItemCount?: number }; items: { metadata: { namespace: string } }[] };
    expect(first.items).toHaveLength(2);
    expect(first.metadata.remainingItemCount).toBeGreaterThan(0);
    const rest = JSON.parse((await raw('GET', `/api/v1/serviceaccounts?limit=500&continue=${encodeURIComponent(first.metadata.continue!)}`)).body.toString()) as { metadata: { continue?: string }; items: { metadata: { namespace: string } }[] };
    const all = JSON.parse((await raw('GET', '/api/v1/serviceaccounts')).body.toString()) as { items: unknown[] };
    expect(first.items.length + rest.items.length).toBe(all.items.length);
    expect(rest.metadata.continue).toBeUndefined();
    const bad = await raw('POST', '/api/v1/namespaces/default/secrets', { 'Content-Type': 'application/json' }, JSON.stringify({ metadata: { name: 'bad' }, data: { k: 'not base64!' } }));
    expect(JSON.parse(bad.body.toString())).toMatchObject({ code: 400, reason: 'BadRequest' });
    const dry = await raw('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { 'Content-Type': 'application/json' }, JSON.stringify({ metadata: { name: 'dry' } }));
    expect(dry.status).toBe(201);
    expect((await raw('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  test('large lists are gzipped when the client accepts gzip', async () => {
    const big = 'x'.repeat(200 * 1024);
    await raw('POST', '/api/v1/namespaces/default/configmaps', { 'Content-Type': 'application/json' }, JSON.stringify({ metadata: { name: 'big' }, data: { big } }));
    const res = await raw('GET', '/api/v1/namespaces/default/configmaps', { 'Accept-Encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString())).toMatchObject({ kind: 'ConfigMapList' });
    const small = await raw('GET', '/api/v1/namespaces', { 'Accept-Encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    await raw('DELETE', '/api/v1/namespaces/default/configmaps/big');
  });

  test('PartialObjectMetadataList and Table with includeObject=Object', async () => {
    const pom = JSON.parse((await raw('GET', '/api/v1/namespaces', { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' })).body.toString()) as { kind: string; items: { metadata: { name: string } }[] };
    expect(pom.kind).toBe('PartialObjectMetadataList');
    expect(pom.items.map((i) => i.metadata.name)).toContain('default');
    const table = JSON.parse((await raw('GET', '/api/v1/namespaces/default/serviceaccounts?includeObject=Object', { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })).body.toString()) as { rows: { object: { kind: string } }[] };
    expect(table.rows[0]!.object.kind).toBe('ServiceAccount');
  });

  test('watch-list: sendInitialEvents needs NotOlderThan and bookmarks, then ends initial events with a bookmark', async () => {
    const invalid = await raw('GET', '/api/v1/namespaces?watch=1&sendInitialEvents=true');
    expect(invalid.status).toBe(422);
    const res = await raw('GET', '/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    const events = res.body.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string; annotations?: Record<string, string> } } });
    const bookmark = events.findIndex((e) => e.type === 'BOOKMARK');
    expect(events.slice(0, bookmark).every((e) => e.type === 'ADDED')).toBe(true);
    expect(events.slice(0, bookmark).map((e) => e.object.metadata.name)).toContain('kube-system');
    expect(events[bookmark]!.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  });
});
