/**
 * The initial state of the simulated cluster and the one controller every namespace relies on:
 * the service-account controller that gives each new namespace its `default` ServiceAccount.
 */
import type { KubeObject, ObjectStore, StoreEvent } from './types.js';
import { keyOf, RESOURCE_TYPES } from './resources.js';

const NAMESPACES = { group: '', resource: 'namespaces' };
const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };

/** Namespaces every cluster starts with. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

function namespaceObject(name: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function ensureDefaultServiceAccount(store: ObjectStore, namespace: string): void {
  if (store.get(SERVICE_ACCOUNTS, namespace, 'default')) return;
  const namespaceObj = store.get(NAMESPACES, '', namespace);
  if (!namespaceObj || namespaceObj.metadata.deletionTimestamp) return;
  store.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
}

/**
 * Seeds the system namespaces (Active), their `default` ServiceAccounts and `extra` objects
 * (e.g. RBAC defaults), and starts the service-account controller. Returns a stop function.
 */
export function seedCluster(store: ObjectStore, extra: KubeObject[] = []): () => void {
  for (const name of SYSTEM_NAMESPACES) if (!store.get(NAMESPACES, '', name)) store.create(NAMESPACES, namespaceObject(name));
  for (const name of SYSTEM_NAMESPACES) ensureDefaultServiceAccount(store, name);
  for (const object of extra) store.create(keyFor(object), object);
  const pending = new Set<NodeJS.Immediate>();
  const later = (work: () => void) => {
    const handle = setImmediate(() => {
      pending.delete(handle);
      work();
    });
    pending.add(handle);
  };
  const onNamespace = (event: StoreEvent) => {
    if (event.type === 'ADDED') later(() => ensureDefaultServiceAccount(store, event.object.metadata.name));
  };
  const onServiceAccount = (event: StoreEvent) => {
    // The controller recreates a deleted `default` ServiceAccount, as the real one does.
    if (event.type === 'DELETED' && event.object.metadata.name === 'default') later(() => ensureDefaultServiceAccount(store, event.object.metadata.namespace ?? ''));
  };
  const stops = [store.subscribe(NAMESPACES, onNamespace), store.subscribe(SERVICE_ACCOUNTS, onServiceAccount)];
  return () => {
    for (const stop of stops) stop();
    for (const handle of pending) clearImmediate(handle);
  };
}

/** The store key for an object, from its apiVersion and kind. */
export function keyFor(object: KubeObject): { group: string; resource: string } {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  const t = RESOURCE_TYPES.find((r) => r.group === group && r.kind === object.kind && !r.virtual);
  if (!t) throw new Error(`seedCluster: no stored resource type for ${object.apiVersion} ${object.kind}`);
  return keyOf(t);
}
