/**
 * The EKS cluster adapter against the simulated world, with the real AWS SDK, the service's own
 * AWS identity from the Node provider chain (env keys of the sim's IAM user), and the real kubectl
 * using the minted grant token: 403 before ensureAccess, allowed in the granted namespace after,
 * 403 again after revokeAccess; a ClusterRoleBinding for `*`; reconcile; DescribeCluster and
 * AssumeRole cached; the token's expiry; typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClusterError, createClusterAdapter, type ClusterAdapter } from '../../../src/cluster/index.js';
import { decodeEksToken } from '../../../src/cluster/eks-token.js';
import type { ClusterConfig, Grant } from '../../../src/policy/types.js';
import { GRANT_USERNAME_TEMPLATE, startSimWorld, type SimWorld } from '../../sim/world.js';
import { activeGrant, admin, as, memoryLog } from './support.js';

let world: SimWorld;
let config: Extract<ClusterConfig, { type: 'eks' }>;
let adapter: ClusterAdapter;
const log = memoryLog();
const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  world = await startSimWorld();
  // The service's ambient identity, as on a host with AWS_* env: the default provider chain finds it.
  process.env.AWS_ACCESS_KEY_ID = world.aws.root.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = world.aws.root.secretAccessKey;
  config = {
    name: 'sim',
    type: 'eks',
    access: 'gateway',
    region: world.aws.region,
    clusterName: world.clusterName,
    roleArn: world.aws.roleArn,
    usernameTemplate: GRANT_USERNAME_TEMPLATE,
    stsEndpoint: world.aws.stsEndpoint,
    eksEndpoint: world.aws.eksEndpoint,
    caFile: world.caFile,
  };
  adapter = createClusterAdapter(config, { log });
});

afterAll(async () => {
  await adapter?.close();
  await world?.close();
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', savedEnv.id], ['AWS_SECRET_ACCESS_KEY', savedEnv.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const bindingJson = async (grant: Grant, namespace: string) => JSON.parse((await admin(world, ['get', 'rolebinding', `kgate-grant-${grant.id}`, '-n', namespace, '-o', 'json'])).stdout) as {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string }[];
};

describe('a namespaced grant', () => {
  it('is forbidden before ensureAccess, allowed only in its namespace after, forbidden after revokeAccess', async () => {
    const grant = activeGrant({ namespaces: ['prod'], clusterRole: 'edit' });
    const credential = await adapter.credential(grant);
    expect(credential.server).toBe(world.apiServer.url);

    const before = await as(credential, ['get', 'pods', '-n', 'prod']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain(`User "kgate:grant-${grant.id}" cannot list resource "pods"`);

    await adapter.ensureAccess(grant);
    const after = await as(credential, ['get', 'pods', '-n', 'prod', '-o', 'name']);
    expect(after).toMatchObject({ code: 0, stdout: 'pod/web\n' });
    expect((await as(credential, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe(`kgate:grant-${grant.id}`);
    const elsewhere = await as(credential, ['get', 'pods', '-n', 'staging']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('(Forbidden)');

    const binding = await bindingJson(grant, 'prod');
    expect(binding.metadata.labels).toEqual({ 'kgate.dev/grant': grant.id, 'app.kubernetes.io/managed-by': 'kgate' });
    expect(binding.metadata.annotations['kgate.dev/expires-at']).toBe(new Date(Math.floor(grant.expiresAt! / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(binding.metadata.annotations['kgate.dev/principal']).toBe('alice@example.com');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'edit' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `kgate:grant-${grant.id}` }]);

    // The AWS session names the grant and carries who asked for it.
    const session = world.aws.sessions().find((s) => s.sessionName === `grant-${grant.id}`);
    expect(session).toMatchObject({ via: 'AssumeRole', sourceIdentity: 'alice@example.com', issuedTo: `arn:aws:iam::${world.aws.accountId}:user/kgate-sim-admin` });
    expect(session!.tags).toEqual([{ key: 'kgate-grant', value: grant.id }, { key: 'kgate-principal', value: 'alice@example.com' }]);

    await adapter.revokeAccess(grant);
    const revoked = await as(credential, ['get', 'pods', '-n', 'prod']);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('(Forbidden)');
    expect((await admin(world, ['get', 'rolebindings', '-A', '-l', `kgate.dev/grant=${grant.id}`, '-o', 'name'])).stdout).toBe('');
  });

  it('is idempotent: a second ensureAccess refreshes the expiry and a changed role replaces the binding', async () => {
    const grant = activeGrant({ namespaces: ['prod', 'staging'], clusterRole: 'view' });
    await adapter.ensureAccess(grant);
    const later = { ...grant, expiresAt: grant.expiresAt! + 600_000, clusterRole: 'edit' };
    await adapter.ensureAccess(later);
    for (const namespace of ['prod', 'staging']) {
      const binding = await bindingJson(grant, namespace);
      expect(binding.roleRef.name).toBe('edit');
      expect(Date.parse(binding.metadata.annotations['kgate.dev/expires-at']!)).toBe(Math.floor(later.expiresAt / 1000) * 1000);
    }
    await adapter.revokeAccess(grant);
  });
});

it('binds a cluster-wide grant with one ClusterRoleBinding', async () => {
  const grant = activeGrant({ namespaces: ['*'], clusterRole: 'view' });
  const credential = await adapter.credential(grant);
  expect((await as(credential, ['get', 'pods', '-A'])).code).toBe(1);
  await adapter.ensureAccess(grant);
  expect((await admin(world, ['get', 'clusterrolebinding', `kgate-grant-${grant.id}`, '-o', 'jsonpath={.roleRef.name}'])).stdout).toBe('view');
  expect((await admin(world, ['get', 'rolebindings', '-A', '-l', `kgate.dev/grant=${grant.id}`, '-o', 'name'])).stdout).toBe('');
  const all = await as(credential, ['get', 'pods', '-A', '-o', 'name']);
  expect(all.code).toBe(0);
  expect(all.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
  await adapter.revokeAccess(grant);
  expect((await as(credential, ['get', 'pods', '-A'])).code).toBe(1);
});

it('reconcile removes bindings of unknown and expired grants and keeps active ones', async () => {
  const kept = activeGrant({ namespaces: ['staging'] });
  const dropped = activeGrant({ namespaces: ['prod', 'staging'] });
  const expiring = activeGrant({ namespaces: ['staging'], expiresAt: Date.now() + 60_000 });
  for (const g of [kept, dropped, expiring]) await adapter.ensureAccess(g);
  // A binding some earlier server left behind, for a grant this one never heard of.
  const leftover = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'kgate-grant-crashed1', labels: { 'kgate.dev/grant': 'crashed1', 'app.kubernetes.io/managed-by': 'kgate' } }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'kgate:grant-crashed1' }] };
  expect((await admin(world, ['create', '-f', '-'], JSON.stringify(leftover))).code).toBe(0);

  const { removed } = await adapter.reconcile(new Set([kept.id, expiring.id]));
  expect(removed.sort()).toEqual([`ClusterRoleBinding/kgate-grant-crashed1`, `RoleBinding/prod/kgate-grant-${dropped.id}`, `RoleBinding/staging/kgate-grant-${dropped.id}`].sort());
  // The service's own ClusterRoleBinding is managed-by kgate too, but belongs to no grant: it stays.
  expect((await admin(world, ['get', 'clusterrolebinding', 'kgate-server', '-o', 'name'])).code).toBe(0);
  const remaining = (await admin(world, ['get', 'rolebindings,clusterrolebindings', '-A', '-l', 'kgate.dev/grant', '-o', 'name'])).stdout.split('\n').filter(Boolean).sort();
  expect(remaining).toEqual([`rolebinding.rbac.authorization.k8s.io/kgate-grant-${expiring.id}`, `rolebinding.rbac.authorization.k8s.io/kgate-grant-${kept.id}`].sort());

  // Half an hour later (a clock of its own; an admin kubeconfig so no token is signed in the future)
  // the expiring grant's binding has outlived its annotation, even though its id is still active.
  const later = createClusterAdapter(config, { log, adminKubeconfig: world.kubeconfig, now: () => Date.now() + 1_800_000 });
  expect((await later.reconcile(new Set([kept.id, expiring.id]))).removed).toEqual([`RoleBinding/staging/kgate-grant-${expiring.id}`]);
  await later.close();
  await adapter.revokeAccess(kept);
});

it('caches DescribeCluster and the grant session, and reports the token expiry as X-Amz-Date + 15 minutes', async () => {
  const grant = activeGrant();
  const fresh = createClusterAdapter(config, { log, awsCredentials: async () => world.aws.root });
  const before = world.aws.stats();
  const started = Date.now();
  const first = await fresh.credential(grant);
  const second = await fresh.credential(grant);
  await fresh.credential(activeGrant());
  const after = world.aws.stats();
  expect((after['eks:DescribeCluster'] ?? 0) - (before['eks:DescribeCluster'] ?? 0)).toBe(1);
  expect((after['sts:AssumeRole'] ?? 0) - (before['sts:AssumeRole'] ?? 0)).toBe(2);

  const url = new URL(decodeEksToken(second.token)!);
  expect(url.origin).toBe(world.aws.stsEndpoint);
  expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
  expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  expect(second.token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  const amzDate = url.searchParams.get('X-Amz-Date')!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z');
  expect(second.expiresAt).toBe(Date.parse(amzDate) + 15 * 60_000);
  expect(second.expiresAt).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 + 15 * 60_000);
  expect(second.expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
  expect(first.caData).toBe(Buffer.from(world.tls.ca.cert).toString('base64'));
  await fresh.close();
});

describe('errors', () => {
  it('refuses a grant id that would inject into object names, before any call', async () => {
    const before = world.aws.stats();
    for (const id of ['x,kgate.dev/grant', 'Upper', 'a'.repeat(60), '../etc', '']) {
      await expect(adapter.credential(activeGrant({ id }))).rejects.toMatchObject({ code: 'KGATE_CLUSTER_INVALID_NAME' });
      await expect(adapter.ensureAccess(activeGrant({ id }))).rejects.toMatchObject({ code: 'KGATE_CLUSTER_INVALID_NAME' });
      await expect(adapter.revokeAccess({ id })).rejects.toMatchObject({ code: 'KGATE_CLUSTER_INVALID_NAME' });
    }
    await expect(adapter.ensureAccess(activeGrant({ namespaces: ['prod', 'bad/ns'] }))).rejects.toMatchObject({ code: 'KGATE_CLUSTER_INVALID_NAME' });
    expect(world.aws.stats()).toEqual(before);
  });

  it('refuses grants that are not active', async () => {
    await expect(adapter.credential(activeGrant({ state: 'revoked' }))).rejects.toMatchObject({ code: 'KGATE_CLUSTER_GRANT_ENDED' });
    await expect(adapter.ensureAccess(activeGrant({ expiresAt: Date.now() - 1 }))).rejects.toMatchObject({ code: 'KGATE_CLUSTER_GRANT_ENDED' });
  });

  it('names a missing namespace and leaves nothing of the grant behind', async () => {
    const grant = activeGrant({ namespaces: ['prod', 'no-such-namespace'] });
    const error = await adapter.ensureAccess(grant).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ code: 'KGATE_CLUSTER_NAMESPACE_NOT_FOUND', message: 'Namespace no-such-namespace does not exist in cluster sim' });
    expect((await admin(world, ['get', 'rolebindings', '-A', '-l', `kgate.dev/grant=${grant.id}`, '-o', 'name'])).stdout).toBe('');
  });

  it('turns an AWS refusal into a typed error without credentials or stack', async () => {
    const wrongRole = createClusterAdapter({ ...config, roleArn: `arn:aws:iam::${world.aws.accountId}:role/not-there` }, { log });
    const error = (await wrongRole.credential(activeGrant()).catch((e: unknown) => e)) as ClusterError;
    expect(error).toMatchObject({ code: 'KGATE_CLUSTER_AWS_DENIED', status: 403 });
    expect(error.message).toMatch(/^sts:AssumeRole on arn:aws:iam::111122223333:role\/not-there failed: AccessDenied: /);
    expect(error.message).not.toContain(world.aws.root.secretAccessKey);
    expect(error.message).not.toContain('\n');
    await wrongRole.close();

    const unknownCluster = createClusterAdapter({ ...config, clusterName: 'nope' }, { log });
    await expect(unknownCluster.credential(activeGrant())).rejects.toMatchObject({ code: 'KGATE_CLUSTER_EKS_NOT_FOUND' });
    await unknownCluster.close();
  });

  it('says so when the service identity has no access entry in the cluster', async () => {
    const stranger = world.aws.addUser('stranger');
    const outsider = createClusterAdapter(config, { log, awsCredentials: async () => stranger });
    await expect(outsider.ensureAccess(activeGrant())).rejects.toMatchObject({ code: 'KGATE_CLUSTER_KUBE_UNAUTHORIZED', status: 401 });
    await outsider.close();
  });

  it('rejects a username template that cannot map grants, at creation', () => {
    expect(() => createClusterAdapter({ ...config, usernameTemplate: 'kgate:{{AccessKeyID}}' }, { log })).toThrow(ClusterError);
  });
});

it('never logs a token', async () => {
  const credential = await adapter.credential(activeGrant());
  const token = credential.token.slice('k8s-aws-v1.'.length, 40);
  expect(log.lines.join('\n')).not.toContain(token);
  expect(log.lines.join('\n')).not.toContain(world.aws.root.secretAccessKey);
});
