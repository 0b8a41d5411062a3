/**
 * The DescribeCluster cache. A stand-in EKS client (a `send` that answers or fails on demand) is
 * used because the point is the cache's timing and failure policy, which the e2e test against the
 * simulated EKS cannot provoke; that test checks the real call and its count.
 */
import { expect, it } from '@jest/globals';
import type { AwsClients } from '../../../src/cluster/aws-clients.js';
import { EksClusterInfo } from '../../../src/cluster/eks-cluster-info.js';

function fakeEks() {
  const state = { calls: 0, fail: false, endpoint: 'https://one.example' };
  const aws = {
    eks: async () => ({
      send: async () => {
        state.calls += 1;
        if (state.fail) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return { cluster: { endpoint: state.endpoint, certificateAuthority: { data: 'Q0E=' } } };
      },
    }),
  } as unknown as AwsClients;
  return { state, aws };
}

it('reuses an answer for the TTL, refreshes after, and serves the last answer while EKS fails', async () => {
  const { state, aws } = fakeEks();
  let clock = 0;
  const warnings: string[] = [];
  const info = new EksClusterInfo(aws, 'prod', { now: () => clock, warn: (_f, m) => warnings.push(m), ttlMs: 1000 });

  const [a, b] = await Promise.all([info.get(), info.get()]);
  expect(a).toEqual({ server: 'https://one.example', caData: 'Q0E=' });
  expect(b).toBe(a);
  clock = 999;
  await info.get();
  expect(state.calls).toBe(1);

  clock = 1000;
  state.endpoint = 'https://two.example';
  expect((await info.get()).server).toBe('https://two.example');
  expect(state.calls).toBe(2);

  clock = 5000;
  state.fail = true;
  expect((await info.get()).server).toBe('https://two.example');
  expect(warnings).toEqual(['DescribeCluster failed; using the last known endpoint']);

  info.invalidate();
  await expect(info.get()).rejects.toMatchObject({ code: 'KGATE_CLUSTER_UNAVAILABLE' });
});
