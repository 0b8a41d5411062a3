/**
 * The generic Kubernetes adapter with the sim's admin kubeconfig: a per-grant ServiceAccount in
 * kgate-system, bound like an EKS grant, and a TokenRequest token that the real kubectl uses while
 * the grant is bound and that stops working the moment revokeAccess deletes the ServiceAccount.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createClusterAdapter, type ClusterAdapter } from '../../../src/cluster/index.js';
import type { ClusterConfig } from '../../../src/policy/types.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { activeGrant, admin, as, memoryLog } from './support.js';

let world: SimWorld;
let adapter: ClusterAdapter;
let config: Extract<ClusterConfig, { type: 'kubernetes' }>;
const log = memoryLog();

beforeAll(async () => {
  world = await startSimWorld();
  config = { name: 'sim-generic', type: 'kubernetes', access: 'gateway', kubeconfig: world.kubeconfig };
  adapter = createClusterAdapter(config, { log });
});

afterAll(async () => {
  await adapter?.close();
  await world?.close();
});

it('mints a ServiceAccount token that works only while the grant is bound, and fails at once after revoke', async () => {
  const grant = activeGrant({ namespaces: ['staging'], clusterRole: 'view' });
  await expect(adapter.credential(grant)).rejects.toMatchObject({ code: 'KGATE_CLUSTER_NOT_BOUND' });

  await adapter.ensureAccess(grant);
  const sa = JSON.parse((await admin(world, ['get', 'serviceaccount', `kgate-grant-${grant.id}`, '-n', 'kgate-system', '-o', 'json'])).stdout) as { metadata: { labels: Record<string, string> } };
  expect(sa.metadata.labels['kgate.dev/grant']).toBe(grant.id);
  const subjects = (await admin(world, ['get', 'rolebinding', `kgate-grant-${grant.id}`, '-n', 'staging', '-o', 'jsonpath={.subjects}'])).stdout;
  expect(JSON.parse(subjects)).toEqual([{ kind: 'ServiceAccount', name: `kgate-grant-${grant.id}`, namespace: 'kgate-system' }]);

  const credential = await adapter.credential(grant);
  expect(credential.server).toBe(world.apiServer.url);
  expect(Buffer.from(credential.caData, 'base64').toString()).toBe(world.tls.ca.cert);
  expect((await as(credential, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout).toBe(`system:serviceaccount:kgate-system:kgate-grant-${grant.id}`);
  expect(await as(credential, ['get', 'pods', '-n', 'staging', '-o', 'name'])).toMatchObject({ code: 0, stdout: 'pod/web\n' });
  const prod = await as(credential, ['get', 'pods', '-n', 'prod']);
  expect(prod.code).toBe(1);
  expect(prod.stderr).toContain('(Forbidden)');

  await adapter.revokeAccess(grant);
  const revoked = await as(credential, ['get', 'pods', '-n', 'staging']);
  expect(revoked.code).toBe(1);
  // The ServiceAccount is gone, so the apiserver no longer authenticates its token at all (401).
  expect(revoked.stderr).toContain('error: You must be logged in to the server');
  expect((await admin(world, ['get', 'serviceaccounts,rolebindings', '-A', '-l', `kgate.dev/grant=${grant.id}`, '-o', 'name'])).stdout).toBe('');
});

it('asks for a token no longer than the grant, within TokenRequest limits', async () => {
  const short = activeGrant({ namespaces: ['staging'], expiresAt: Date.now() + 120_000 });
  const long = activeGrant({ namespaces: ['staging'], expiresAt: Date.now() + 5 * 3_600_000 });
  const medium = activeGrant({ namespaces: ['staging'], expiresAt: Date.now() + 1_200_000 });
  for (const g of [short, long, medium]) await adapter.ensureAccess(g);

  // Less than the 10-minute minimum left: the token outlives the grant, so the grant's end is reported.
  expect((await adapter.credential(short)).expiresAt).toBe(short.expiresAt);
  const longExpiry = (await adapter.credential(long)).expiresAt;
  expect(longExpiry).toBeGreaterThan(Date.now() + 3_590_000);
  expect(longExpiry).toBeLessThanOrEqual(Date.now() + 3_600_000);
  const mediumExpiry = (await adapter.credential(medium)).expiresAt;
  expect(mediumExpiry).toBeLessThanOrEqual(medium.expiresAt!);
  expect(mediumExpiry).toBeGreaterThan(medium.expiresAt! - 2000);
  for (const g of [short, long, medium]) await adapter.revokeAccess(g);
});

it('binds cluster-wide and reconciles away ServiceAccounts and bindings of unknown grants', async () => {
  const kept = activeGrant({ namespaces: ['*'], clusterRole: 'view' });
  const dropped = activeGrant({ namespaces: ['prod'] });
  await adapter.ensureAccess(kept);
  await adapter.ensureAccess(dropped);
  const credential = await adapter.credential(kept);
  expect((await as(credential, ['get', 'pods', '-A', '-o', 'name'])).code).toBe(0);

  const { removed } = await adapter.reconcile(new Set([kept.id]));
  expect(removed.sort()).toEqual([`RoleBinding/prod/kgate-grant-${dropped.id}`, `ServiceAccount/kgate-system/kgate-grant-${dropped.id}`]);
  expect((await as(credential, ['get', 'pods', '-A', '-o', 'name'])).code).toBe(0);
  expect((await adapter.reconcile(new Set([kept.id]))).removed).toEqual([]);
  await adapter.revokeAccess(kept);
  expect((await as(credential, ['get', 'pods', '-A'])).code).toBe(1);
});

it('reports an unusable kubeconfig or context as a configuration error', async () => {
  const missing = createClusterAdapter({ ...config, kubeconfig: '/nonexistent/kubeconfig' }, { log });
  await expect(missing.ensureAccess(activeGrant())).rejects.toMatchObject({ code: 'KGATE_CLUSTER_CONFIG' });
  const wrongContext = createClusterAdapter({ ...config, context: 'nope' }, { log });
  await expect(wrongContext.credential(activeGrant())).rejects.toMatchObject({ code: 'KGATE_CLUSTER_CONFIG', message: `The kubeconfig ${world.kubeconfig} has no context "nope"` });
});
