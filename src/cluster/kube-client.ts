/**
 * The policy service's own connection to a cluster's API, through @kubernetes/client-node (loaded
 * on first use): from a kubeconfig file (generic clusters, or an admin override), or from an
 * endpoint, CA and bearer token (EKS, with the service's own EKS token).
 */
import { readFile } from 'node:fs/promises';
import type { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { ClusterError, ClusterErrorCode } from './errors.js';
import type { ClusterEndpoint } from './eks-cluster-info.js';

/** The typed API groups the adapters use. */
export interface KubeApis {
  core: CoreV1Api;
  rbac: RbacAuthorizationV1Api;
}

/** A ready connection plus where it points (what grant credentials carry as server and CA). */
export interface KubeTarget extends ClusterEndpoint {
  apis: KubeApis;
}

/**
 * Connects with a kubeconfig file and optional context.
 * @throws ClusterError KGATE_CLUSTER_CONFIG when the file or context cannot be used
 */
export async function kubeconfigTarget(path: string, context?: string): Promise<KubeTarget> {
  const { KubeConfig, CoreV1Api, RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (error) {
    throw new ClusterError(ClusterErrorCode.Config, `Cannot load the kubeconfig ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n', 1)[0]}`);
  }
  if (context) {
    if (!kc.getContextObject(context)) throw new ClusterError(ClusterErrorCode.Config, `The kubeconfig ${path} has no context ${JSON.stringify(context)}`);
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new ClusterError(ClusterErrorCode.Config, `The kubeconfig ${path} names no cluster server for its current context`);
  return { server: cluster.server, caData: await caDataOf(cluster), apis: { core: kc.makeApiClient(CoreV1Api), rbac: kc.makeApiClient(RbacAuthorizationV1Api) } };
}

/** Connects to `endpoint` with a bearer token. */
export async function tokenTarget(endpoint: ClusterEndpoint, token: string): Promise<KubeTarget> {
  const { KubeConfig, CoreV1Api, RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'cluster', server: endpoint.server, caData: endpoint.caData, skipTLSVerify: false }],
    users: [{ name: 'kgate-server', token }],
    contexts: [{ name: 'kgate-server', cluster: 'cluster', user: 'kgate-server' }],
    currentContext: 'kgate-server',
  });
  return { ...endpoint, apis: { core: kc.makeApiClient(CoreV1Api), rbac: kc.makeApiClient(RbacAuthorizationV1Api) } };
}

async function caDataOf(cluster: { caData?: string; caFile?: string; skipTLSVerify: boolean }): Promise<string> {
  if (cluster.caData) return cluster.caData;
  if (!cluster.caFile) return '';
  try {
    return (await readFile(cluster.caFile)).toString('base64');
  } catch (error) {
    throw new ClusterError(ClusterErrorCode.Config, `Cannot read the cluster CA ${cluster.caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
