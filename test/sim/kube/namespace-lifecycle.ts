/**
 * Namespace deletion as the namespace controller performs it: the namespace turns Terminating,
 * then every namespaced object in it is deleted (DELETED events) and finally the namespace itself.
 */
import { RESOURCE_TYPES, keyOf } from './resources.js';
import { rfc3339 } from './store.js';
import type { KubeObject, ObjectStore } from './types.js';

const NAMESPACES = { group: '', resource: 'namespaces' };

/** How long the simulated namespace controller waits before purging a terminating namespace. */
export const NAMESPACE_PURGE_DELAY_MS = 100;

/** Removes all namespaced objects of `namespace`, then the namespace. */
export function purgeNamespace(store: ObjectStore, namespace: string): void {
  for (const t of RESOURCE_TYPES) {
    if (!t.namespaced || t.virtual) continue;
    for (const object of store.list(keyOf(t), namespace).items) store.delete(keyOf(t), namespace, object.metadata.name);
  }
  if (store.get(NAMESPACES, '', namespace)) store.delete(NAMESPACES, '', namespace);
}

/**
 * Marks a namespace Terminating (deletionTimestamp + status.phase) and schedules the purge;
 * returns the object as the DELETE response shows it.
 */
export function startNamespaceTermination(store: ObjectStore, namespace: KubeObject, now: Date, defer: (ms: number, work: () => void) => void, log: (line: string) => void): KubeObject {
  if (namespace.metadata.deletionTimestamp) return namespace;
  const terminating: KubeObject = {
    ...namespace,
    metadata: { ...namespace.metadata, deletionTimestamp: rfc3339(now), deletionGracePeriodSeconds: 0 },
    status: { ...((namespace.status as object | undefined) ?? {}), phase: 'Terminating' },
  };
  const updated = store.update(NAMESPACES, terminating);
  defer(NAMESPACE_PURGE_DELAY_MS, () => {
    try {
      purgeNamespace(store, namespace.metadata.name);
    } catch (e) {
      log(`namespace ${namespace.metadata.name} purge failed: ${(e as Error).message}`);
    }
  });
  return updated;
}
