/**
 * Cluster adapters: the policy service's standing power over clusters, one adapter per cluster
 * entry of the policy.
 */
import type { ClusterConfig } from '../policy/types.js';
import type { ClusterAdapter, ClusterAdapterDeps } from './adapter.js';
import { EksClusterAdapter } from './eks.js';
import { GenericClusterAdapter } from './generic.js';

export type { ClusterAdapter, ClusterAdapterDeps, ClusterLog } from './adapter.js';
export { ClusterError, ClusterErrorCode } from './errors.js';
export { EXPIRES_AT_ANNOTATION, GRANT_LABEL, MANAGED_BY_LABEL, PRINCIPAL_ANNOTATION } from './names.js';

/**
 * The adapter for a cluster entry: EKS (STS + EKS + JIT bindings) or any Kubernetes cluster
 * through a kubeconfig (per-grant ServiceAccounts + TokenRequest + JIT bindings). Nothing is
 * contacted until the first call.
 * @throws ClusterError KGATE_CLUSTER_CONFIG when the entry cannot work
 */
export function createClusterAdapter(config: ClusterConfig, deps: ClusterAdapterDeps): ClusterAdapter {
  return config.type === 'eks' ? new EksClusterAdapter(config, deps) : new GenericClusterAdapter(config, deps);
}
