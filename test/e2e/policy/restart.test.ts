/**
 * A crash never leaves access behind: `kgate server` is killed with SIGKILL while grants are
 * active; on restart it expires the grant whose TTL ran out meanwhile, deletes a binding whose
 * grant never became active (what a kill between creating the binding and committing the grant
 * leaves), keeps the grant that is still valid, and stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createClusterAdapter } from '../../../src/cluster/index.js';
import type { GrantView } from '../../../src/policy/server/api.js';
import type { ClusterCredential, Grant } from '../../../src/policy/types.js';
import { prepareSimCluster } from '../../sim/policy-server.js';
import { GRANT_USERNAME_TEMPLATE, startSimWorld, type SimWorld } from '../../sim/world.js';
import { kubectl } from '../../support/kubectl.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { apiAs, kubectlWith, machineToken, TEST_POLICY } from './support.js';
import { scratchDir } from '../../support/scratch.js';

let world: SimWorld;
let server: ServerProcess | undefined;

beforeAll(async () => {
  world = await startSimWorld();
  await prepareSimCluster(world);
});

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await world?.close();
});

const bindings = async () => {
  const all = await Promise.all(['clusterrolebindings', 'rolebindings'].map((kind) => kubectl(['get', kind, '-A', '-l', 'kgate.dev/grant', '-o', 'jsonpath={range .items[*]}{.metadata.labels.kgate\\.dev/grant}{"\\n"}{end}'], { kubeconfig: world.kubeconfig })));
  return all.flatMap((r) => r.stdout.split('\n').filter(Boolean)).sort();
};

/** What a server killed right after creating a grant's binding leaves: a binding, no active grant. */
async function orphanBinding(id: string): Promise<void> {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const adapter = createClusterAdapter({
    name: 'kgate-sim', type: 'eks', access: 'gateway', region: world.aws.region, clusterName: world.clusterName, roleArn: world.aws.roleArn,
    usernameTemplate: GRANT_USERNAME_TEMPLATE, stsEndpoint: world.aws.stsEndpoint, eksEndpoint: world.aws.eksEndpoint, caFile: world.caFile,
  }, { log, awsCredentials: async () => world.aws.root });
  const now = Date.now();
  const grant: Grant = {
    id, state: 'active', principal: { issuer: world.idp.issuer, subject: 'ci-deployer', name: 'ci-deployer', type: 'workload', groups: [], claims: {} },
    cluster: 'kgate-sim', template: 'read-only', clusterRole: 'view', namespaces: ['prod'], ttlMs: 3_600_000, breakGlass: false,
    createdAt: now, activatedAt: now, expiresAt: now + 3_600_000, revision: 1,
  };
  await adapter.ensureAccess(grant);
  await adapter.close();
}

it('reconciles on restart after SIGKILL: expired and orphaned access removed, live access kept', async () => {
  const dataDir = scratchDir('kgate-restart-');
  server = await startServerProcess(world, TEST_POLICY, dataDir);
  const token = await machineToken(world, 'ci-deployer');
  let api = apiAs(world, server.url, token);
  const lasting = (await api<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'read-only' })).body;
  const brief = (await api<GrantView>('POST', '/v1/grants', { cluster: 'kgate-sim', grant: 'glimpse', ttl: '2s' })).body;
  expect([lasting.state, brief.state]).toEqual(['active', 'active']);
  const briefCredential = (await api<ClusterCredential>('POST', `/v1/grants/${brief.id}/credentials`, {})).body;
  expect((await kubectlWith(briefCredential, ['get', 'pods', '-n', 'staging'])).stderr).toBe('');

  server.child.kill('SIGKILL');
  expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
  await orphanBinding('orphanaaaaaaaaaa');
  await new Promise((r) => setTimeout(r, 2_500));
  // Nobody removed anything while the service was down.
  expect(await bindings()).toEqual([brief.id, lasting.id, 'orphanaaaaaaaaaa'].sort());

  server = await startServerProcess(world, TEST_POLICY, dataDir);
  expect(await bindings()).toEqual([lasting.id]);
  expect(server.lines.some((l) => l.includes('reconcile removed access left behind') && l.includes('orphanaaaaaaaaaa'))).toBe(true);
  expect((await kubectlWith(briefCredential, ['get', 'pods', '-n', 'staging'])).stderr).toContain('(Forbidden)');

  api = apiAs(world, server.url, token);
  expect((await api<GrantView>('GET', `/v1/grants/${brief.id}`)).body.state).toBe('expired');
  const credential = (await api<ClusterCredential>('POST', `/v1/grants/${lasting.id}/credentials`, {})).body;
  expect((await kubectlWith(credential, ['get', 'pods', '-n', 'prod'])).stderr).toBe('');
  expect(server.lines.join('\n')).not.toContain(token);

  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
  server = undefined;
});
