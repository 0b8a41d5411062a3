/**
 * The three kinds of object kgate owns in a cluster (RoleBinding, ClusterRoleBinding,
 * ServiceAccount) behind one small set of operations, so the binding manager treats them alike.
 */
import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';
import type { KubeApis } from './kube-client.js';
import { kubeError, kubeStatusCode } from './kube-errors.js';

export type ManagedKind = 'RoleBinding' | 'ClusterRoleBinding' | 'ServiceAccount';

/** Any managed object as client-node returns it. */
export interface KubeObject {
  metadata?: V1ObjectMeta;
  roleRef?: { apiGroup?: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string; apiGroup?: string }[];
}

/** Kind, namespace ('' when cluster-scoped) and name of a managed object. */
export interface ObjectRef {
  kind: ManagedKind;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface KindOps {
  list(apis: KubeApis, labelSelector: string, cont?: string): Promise<{ items: KubeObject[]; metadata?: V1ListMeta }>;
  create(apis: KubeApis, namespace: string, body: KubeObject): Promise<KubeObject>;
  read(apis: KubeApis, namespace: string, name: string): Promise<KubeObject>;
  replace(apis: KubeApis, namespace: string, name: string, body: KubeObject): Promise<KubeObject>;
  remove(apis: KubeApis, namespace: string, name: string): Promise<unknown>;
}

const PAGE = 500;

/* eslint-disable @typescript-eslint/no-explicit-any -- client-node's generated bodies are typed per kind; these tables are the one place they meet */
const OPS: Record<ManagedKind, KindOps> = {
  RoleBinding: {
    list: (a, labelSelector, cont) => a.rbac.listRoleBindingForAllNamespaces({ labelSelector, limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
    create: (a, namespace, body) => a.rbac.createNamespacedRoleBinding({ namespace, body: body as any }),
    read: (a, namespace, name) => a.rbac.readNamespacedRoleBinding({ namespace, name }),
    replace: (a, namespace, name, body) => a.rbac.replaceNamespacedRoleBinding({ namespace, name, body: body as any }),
    remove: (a, namespace, name) => a.rbac.deleteNamespacedRoleBinding({ namespace, name }),
  },
  ClusterRoleBinding: {
    list: (a, labelSelector, cont) => a.rbac.listClusterRoleBinding({ labelSelector, limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
    create: (a, _namespace, body) => a.rbac.createClusterRoleBinding({ body: body as any }),
    read: (a, _namespace, name) => a.rbac.readClusterRoleBinding({ name }),
    replace: (a, _namespace, name, body) => a.rbac.replaceClusterRoleBinding({ name, body: body as any }),
    remove: (a, _namespace, name) => a.rbac.deleteClusterRoleBinding({ name }),
  },
  ServiceAccount: {
    list: (a, labelSelector, cont) => a.core.listServiceAccountForAllNamespaces({ labelSelector, limit: PAGE, ...(cont ? { _continue: cont } : {}) }),
    create: (a, namespace, body) => a.core.createNamespacedServiceAccount({ namespace, body: body as any }),
    read: (a, namespace, name) => a.core.readNamespacedServiceAccount({ namespace, name }),
    replace: (a, namespace, name, body) => a.core.replaceNamespacedServiceAccount({ namespace, name, body: body as any }),
    remove: (a, namespace, name) => a.core.deleteNamespacedServiceAccount({ namespace, name }),
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** `RoleBinding/prod/kgate-grant-x` or `ClusterRoleBinding/kgate-grant-x`. */
export function describeRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** Every object of `kind` matching the label selector, in all namespaces, following pagination. */
export async function listObjects(apis: KubeApis, kind: ManagedKind, labelSelector: string): Promise<ObjectRef[]> {
  const refs: ObjectRef[] = [];
  let cont: string | undefined;
  do {
    let page;
    try {
      page = await OPS[kind].list(apis, labelSelector, cont);
    } catch (error) {
      throw kubeError(error, `list ${kind}s`);
    }
    for (const item of page.items) {
      const m = item.metadata ?? {};
      refs.push({ kind, namespace: m.namespace ?? '', name: m.name ?? '', labels: m.labels ?? {}, annotations: m.annotations ?? {} });
    }
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return refs;
}

/** Deletes an object; one that is already gone counts as deleted. Returns whether it existed. */
export async function deleteObject(apis: KubeApis, ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): Promise<boolean> {
  try {
    await OPS[ref.kind].remove(apis, ref.namespace, ref.name);
    return true;
  } catch (error) {
    if (kubeStatusCode(error) === 404) return false;
    throw kubeError(error, `delete ${describeRef(ref)}`);
  }
}

/** Raw operations of a kind, for create-or-replace; errors are client-node's. */
export function kindOps(kind: ManagedKind): KindOps {
  return OPS[kind];
}
