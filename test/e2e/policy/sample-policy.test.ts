/**
 * The sim as `npm run sim` will offer it: the sample policy (test/sim/policy/sample-policy.yaml)
 * served by the policy service, and a machine that only has the sim's env file doing exactly what
 * the README says: `kgate login --client-credentials`, then `kgate grants request --grant read-only`,
 * then kubectl with the credential the service mints.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GrantView } from '../../../src/policy/server/api.js';
import type { ClusterCredential } from '../../../src/policy/types.js';
import { startSimPolicyServer, type SimPolicyServer } from '../../sim/policy-server.js';
import { startSimWorld, type SimWorld } from '../../sim/world.js';
import { KGATE_BIN } from './server-process.js';
import { apiAs, kubectlWith, machineToken } from './support.js';
import { scratchDir } from '../../support/scratch.js';

let world: SimWorld;
let server: SimPolicyServer;

beforeAll(async () => {
  world = await startSimWorld();
  server = await startSimPolicyServer(world);
});

afterAll(async () => {
  await server?.close();
  await world?.close();
});

function kgate(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [KGATE_BIN, ...args], { env: env as NodeJS.ProcessEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

it('a machine with the sim env logs in, gets read-only at once, and reads with kubectl', async () => {
  const home = scratchDir('kgate-sample-');
  const env = { PATH: process.env.PATH, HOME: home, KGATE_STATE_DIR: join(home, 'state'), KGATE_CONFIG_DIR: join(home, 'config'), KGATE_TOKEN_STORAGE: 'file', ...world.env, ...server.env, KGATE_CLUSTER: server.env.KGATE_BROKER_CLUSTER };
  // The broker-mode entry: this test takes the grant's own cluster credential, which a gateway cluster never hands out.
  const login = await kgate(['login', '--client-credentials'], env);
  expect(login.code).toBe(0);
  const requested = await kgate(['grants', 'request', '--grant', 'read-only', '--json'], env);
  expect(requested.code).toBe(0);
  const grant = (JSON.parse(requested.stdout) as { result: GrantView }).result;
  expect(grant).toMatchObject({ state: 'active', cluster: 'kgate-sim-broker', clusterRole: 'view', principal: { subject: 'ci-deployer', type: 'workload' } });

  const api = apiAs(world, server.url, await machineToken(world, 'ci-deployer'));
  const credential = (await api<ClusterCredential>('POST', `/v1/grants/${grant.id}/credentials`, {})).body;
  const pods = await kubectlWith(credential, ['get', 'pods', '-n', 'staging', '-o', 'name']);
  expect(pods).toMatchObject({ code: 0, stdout: 'pod/web\n' });

  const deploy = await kgate(['grants', 'request', '--grant', 'deploy', '--reason', 'ship it'], env);
  expect(deploy.code).toBe(5);
  expect(deploy.stdout).toMatch(/is pending approval \S+: needs 1 approval from sre-leads \(ClusterRole edit in namespace apps of kgate-sim-broker\)/);
});
