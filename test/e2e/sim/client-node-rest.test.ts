/**
 * The simulated kube-apiserver's REST core against the real @kubernetes/client-node: typed
 * list/create/patch, a raw Watch (newline-delimited events) and an informer (list, then watch
 * from the list's resourceVersion). Authentication/authorization are test-local (see kubectl-rest).
 */
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, Watch, makeInformer, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from '../../sim/kube/server.js';
import { MemoryStore } from '../../sim/kube/store.js';
import { seedCluster } from '../../sim/kube/seed.js';
import { createSimTls } from '../../sim/tls.js';

const TOKEN = randomBytes(24).toString('base64url');
let server: KubeApiServer;
let stopSeed: () => void;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  const tls = await createSimTls();
  const store = new MemoryStore();
  stopSeed = seedCluster(store);
  server = await startKubeApiServer({
    tls, store,
    authenticator: { authenticate: async (t) => (t === TOKEN ? { username: 'admin', groups: ['system:masters'] } : null) },
    authorizer: { authorize: () => ({ allowed: true, reason: '' }), rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }) },
  });
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: server.url, caData: Buffer.from(tls.ca.cert).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'admin', token: TOKEN }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'admin' }],
    currentContext: 'sim',
  });
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  stopSeed();
  await server.close();
});

function until<T>(check: () => T | undefined, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined) resolve(value);
      else if (Date.now() - started > ms) reject(new Error('condition not met in time'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

test('typed list, create, read and NotFound as ApiException', async () => {
  const namespaces = await core.listNamespace();
  expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  expect(namespaces.metadata?.resourceVersion).toMatch(/^\d+$/);
  const created = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'token' }, stringData: { key: 'value' } } });
  expect(created.data).toEqual({ key: Buffer.from('value').toString('base64') });
  expect(created.type).toBe('Opaque');
  const read = await core.readNamespacedSecret({ name: 'token', namespace: 'default' });
  expect(read.metadata?.uid).toBe(created.metadata?.uid);
  const error = await core.readNamespacedSecret({ name: 'missing', namespace: 'default' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiException);
  expect((error as ApiException<string>).code).toBe(404);
  expect(JSON.parse((error as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'secrets "missing" not found' });
});

test('merge, JSON, strategic and server-side apply patches', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'conf', labels: { a: '1' } }, data: { x: '1' } } });
  const merged = await core.patchNamespacedConfigMap({ name: 'conf', namespace: 'default', body: { metadata: { labels: { a: null, b: '2' } }, data: { y: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  expect(merged.metadata?.labels).toEqual({ b: '2' });
  expect(merged.data).toEqual({ x: '1', y: '2' });
  const jsonPatched = await core.patchNamespacedConfigMap({ name: 'conf', namespace: 'default', body: [{ op: 'remove', path: '/data/x' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
  expect(jsonPatched.data).toEqual({ y: '2' });
  const strategic = await core.patchNamespacedConfigMap({ name: 'conf', namespace: 'default', body: { data: { w: '4' } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
  expect(strategic.data).toEqual({ y: '2', w: '4' });
  const applied = await core.patchNamespacedConfigMap(
    { name: 'conf', namespace: 'default', fieldManager: 'client-node', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf', namespace: 'default' }, data: { z: '3' } } },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
  expect(applied.data).toEqual({ y: '2', w: '4', z: '3' });
  expect(applied.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toContain('client-node/Apply');
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const binding = await rbac.patchNamespacedRoleBinding(
    { name: 'viewers', namespace: 'default', fieldManager: 'client-node', body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewers', namespace: 'default' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }] } },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
  expect(binding.metadata?.uid).toBeDefined();
});

test('an update or patch (any type) may not start a deletion: 422 immutable, and the namespace stays Active', async () => {
  await core.createNamespace({ body: { metadata: { name: 'not-terminating' } } });
  const when = '2030-01-01T00:00:00Z';
  const attempts: [string, () => Promise<unknown>][] = [
    ['merge', () => core.patchNamespace({ name: 'not-terminating', body: { metadata: { deletionTimestamp: when } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))],
    ['strategic', () => core.patchNamespace({ name: 'not-terminating', body: { metadata: { deletionTimestamp: when, deletionGracePeriodSeconds: 0 } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))],
    ['json', () => core.patchNamespace({ name: 'not-terminating', body: [{ op: 'add', path: '/metadata/deletionTimestamp', value: when }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))],
    ['json grace', () => core.patchNamespace({ name: 'not-terminating', body: [{ op: 'add', path: '/metadata/deletionGracePeriodSeconds', value: 0 }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))],
    ['apply', () => core.patchNamespace(
      { name: 'not-terminating', fieldManager: 'client-node', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'not-terminating', deletionTimestamp: when } } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )],
    ['update', async () => {
      const ns = await core.readNamespace({ name: 'not-terminating' });
      return core.replaceNamespace({ name: 'not-terminating', body: { ...ns, metadata: { ...ns.metadata, deletionTimestamp: new Date(when) } } });
    }],
  ];
  for (const [what, attempt] of attempts) {
    const error = await attempt().then(() => undefined, (e: unknown) => e);
    expect([what, (error as ApiException<string> | undefined)?.code]).toEqual([what, 422]);
    expect(JSON.parse((error as ApiException<string>).body)).toMatchObject({ reason: 'Invalid', message: expect.stringMatching(/metadata\.deletion(Timestamp|GracePeriodSeconds): Invalid value: .*field is immutable/) });
  }
  const ns = await core.readNamespace({ name: 'not-terminating' });
  expect(ns.metadata?.deletionTimestamp).toBeUndefined();
  expect(ns.status?.phase).toBe('Active');
  await core.createNamespacedConfigMap({ namespace: 'not-terminating', body: { metadata: { name: 'still-accepted' } } });
});

test('raw Watch delivers newline-delimited ADDED, MODIFIED and DELETED events', async () => {
  const events: string[] = [];
  const watch = new Watch(kc);
  const { resourceVersion } = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata!;
  const controller = await watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion }, (type, obj: V1ConfigMap) => events.push(`${type}:${obj.metadata?.name}`), () => {});
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' } } });
  await core.patchNamespacedConfigMap({ name: 'watched', namespace: 'default', body: { data: { a: 'b' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await core.deleteNamespacedConfigMap({ name: 'watched', namespace: 'default' });
  await until(() => (events.length >= 3 ? true : undefined));
  controller.abort();
  expect(events).toEqual(['ADDED:watched', 'MODIFIED:watched', 'DELETED:watched']);
});

test('an informer lists, then watches from the list resourceVersion', async () => {
  const informer = makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const added: string[] = [];
  const deleted: string[] = [];
  informer.on('add', (o) => added.push(o.metadata!.name!));
  informer.on('delete', (o) => deleted.push(o.metadata!.name!));
  await informer.start();
  expect(informer.list().map((o) => o.metadata?.name)).toContain('conf');
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'informed' } } });
  await until(() => (added.includes('informed') ? true : undefined));
  await core.deleteNamespacedConfigMap({ name: 'informed', namespace: 'default' });
  await until(() => (deleted.includes('informed') ? true : undefined));
  await informer.stop();
  expect(informer.get('informed', 'default')).toBeUndefined();
});
