/**
 * Maps what @kubernetes/client-node threw to a {@link ClusterError}: the HTTP status and the
 * `Status.message` the apiserver wrote (object names, never credentials), or the network code.
 */
import { ClusterError, ClusterErrorCode, networkCode, unavailable, upstreamMessage } from './errors.js';

/** The parts of a Kubernetes `Status` kgate looks at. */
export interface KubeStatus {
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string };
}

/** HTTP status of an apiserver answer client-node turned into an exception; undefined otherwise. */
export function kubeStatusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 && 'body' in (error as object) ? code : undefined;
}

/** The `Status` body of an apiserver error, when it sent one. */
export function kubeStatus(error: unknown): KubeStatus {
  const body = (error as { body?: unknown } | undefined)?.body;
  if (body && typeof body === 'object') return body as KubeStatus;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as KubeStatus) : {};
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * @param error what client-node threw
 * @param what the action, e.g. `create RoleBinding prod/kgate-grant-x in cluster sim`
 */
export function kubeError(error: unknown, what: string): ClusterError {
  if (error instanceof ClusterError) return error;
  const status = kubeStatusCode(error);
  if (status === undefined) {
    const net = networkCode(error);
    if (net) return unavailable(`the apiserver (${what})`, net);
    return new ClusterError(ClusterErrorCode.KubeError, `${what} failed: ${upstreamMessage((error as Error)?.message)}`);
  }
  const detail = upstreamMessage(kubeStatus(error).message ?? `HTTP ${status}`);
  if (status === 401) {
    return new ClusterError(ClusterErrorCode.KubeUnauthorized, `${what} failed: the apiserver did not accept the policy service's identity (401)`, {
      status, suggestions: ['Map the service identity to a Kubernetes user (EKS access entry) or fix the kubeconfig.'],
    });
  }
  if (status === 403) {
    return new ClusterError(ClusterErrorCode.KubeForbidden, `${what} failed: ${detail}`, {
      status, suggestions: ['Let the service identity manage rolebindings, clusterrolebindings and serviceaccounts, and bind the granted ClusterRoles.'],
    });
  }
  return new ClusterError(ClusterErrorCode.KubeError, `${what} failed (${status}): ${detail}`, { status });
}

/** Whether the error is a 404 for a missing namespace (as opposed to a missing object). */
export function isNamespaceNotFound(error: unknown): boolean {
  return kubeStatusCode(error) === 404 && kubeStatus(error).details?.kind === 'namespaces';
}
