import { expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ClusterError, createClusterAdapter, type ClusterLog } from '../../../src/cluster/index.js';

const eks = {
  name: 'prod', type: 'eks', access: 'gateway', region: 'us-east-1', clusterName: 'prod', roleArn: 'arn:aws:iam::111122223333:role/kgate', usernameTemplate: 'kgate:{{SessionName}}',
} as const;

it('takes the service logger (pino) and contacts nothing until asked', async () => {
  const log: ClusterLog = pino({ enabled: false });
  const adapters = [createClusterAdapter(eks, { log }), createClusterAdapter({ name: 'kind', type: 'kubernetes', access: 'gateway', kubeconfig: '/nonexistent' }, { log })];
  for (const adapter of adapters) await adapter.close();
});

it('validates the cluster entry eagerly', () => {
  const log = pino({ enabled: false });
  expect(() => createClusterAdapter({ ...eks, usernameTemplate: 'static-user' }, { log })).toThrow(ClusterError);
  expect(() => createClusterAdapter({ name: 'kind', type: 'kubernetes', access: 'gateway', kubeconfig: '/k' }, { log, serviceAccountNamespace: 'Not_A_Namespace' })).toThrow(ClusterError);
});
