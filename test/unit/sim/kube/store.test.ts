import { MemoryStore, type MemoryStoreEvent } from '../../../sim/kube/store.js';
import type { KubeObject, StoreEvent } from '../../../sim/kube/types.js';

const SECRETS = { group: '', resource: 'secrets' };
const ROLES = { group: 'rbac.authorization.k8s.io', resource: 'roles' };
const secret = (name: string, ns = 'default', data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data });

function statusOf(fn: () => unknown): Record<string, unknown> | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { toStatus(): Record<string, unknown> }).toStatus();
  }
  return undefined;
}

describe('MemoryStore', () => {
  test('create assigns uid, creationTimestamp and a monotonic global resourceVersion', () => {
    const store = new MemoryStore({ now: () => new Date('2026-01-02T03:04:05.678Z') });
    const a = store.create(SECRETS, secret('a'));
    const b = store.create(ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'default' } });
    expect(a.metadata).toMatchObject({ creationTimestamp: '2026-01-02T03:04:05Z', resourceVersion: '1' });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.metadata.resourceVersion).toBe('2');
    expect(store.currentResourceVersion()).toBe(2);
    expect(store.list(SECRETS, '').resourceVersion).toBe('2');
  });

  test('errors are the apiserver Status objects', () => {
    const store = new MemoryStore();
    store.create(SECRETS, secret('a'));
    expect(statusOf(() => store.create(SECRETS, secret('a')))).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'secrets "a" already exists', details: { name: 'a', kind: 'secrets' } });
    expect(statusOf(() => store.delete(ROLES, 'default', 'nope'))).toMatchObject({ code: 404, reason: 'NotFound', message: 'roles.rbac.authorization.k8s.io "nope" not found', details: { name: 'nope', group: 'rbac.authorization.k8s.io', kind: 'roles' } });
    expect(statusOf(() => store.update(SECRETS, { ...secret('a'), metadata: { name: 'a', namespace: 'default', resourceVersion: '99' } }))).toMatchObject({
      code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on secrets "a": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  test('update keeps identity, bumps the version, and a no-op update writes nothing', () => {
    const store = new MemoryStore();
    const a = store.create(SECRETS, secret('a'));
    const updated = store.update(SECRETS, { ...secret('a', 'default', { k: 'dg==' }), metadata: { ...a.metadata, uid: 'forged' } });
    expect(updated.metadata.uid).toBe(a.metadata.uid);
    expect(updated.metadata.resourceVersion).toBe('2');
    expect(store.update(SECRETS, updated).metadata.resourceVersion).toBe('2');
    expect(store.currentResourceVersion()).toBe(2);
  });

  test('list filters by namespace, sorted by key; objects are copies', () => {
    const store = new MemoryStore();
    store.create(SECRETS, secret('b', 'ns1'));
    store.create(SECRETS, secret('a', 'ns2'));
    store.create(SECRETS, secret('a', 'ns1'));
    expect(store.list(SECRETS, '').items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['ns1/a', 'ns1/b', 'ns2/a']);
    expect(store.list(SECRETS, 'ns2').items).toHaveLength(1);
    store.get(SECRETS, 'ns1', 'a')!.metadata.name = 'mutated';
    expect(store.get(SECRETS, 'ns1', 'a')!.metadata.name).toBe('a');
  });

  test('subscribers see ADDED/MODIFIED/DELETED with previous objects; unsubscribe stops delivery', () => {
    const store = new MemoryStore();
    const events: MemoryStoreEvent[] = [];
    const stop = store.subscribe(SECRETS, (e) => events.push(e));
    const a = store.create(SECRETS, secret('a'));
    store.update(SECRETS, { ...a, data: { x: 'eA==' } });
    store.delete(SECRETS, 'default', 'a');
    stop();
    store.create(SECRETS, secret('b'));
    expect(events.map((e) => `${e.type}@${e.resourceVersion}`)).toEqual(['ADDED@1', 'MODIFIED@2', 'DELETED@3']);
    expect(events[1]!.previous!.data).toEqual({});
    expect(events[2]!.object.metadata.resourceVersion).toBe('3');
  });

  test('watchFrom replays history after a resourceVersion, then goes live', () => {
    const store = new MemoryStore();
    store.create(SECRETS, secret('a'));
    store.create(ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'default' } });
    store.create(SECRETS, secret('b'));
    const seen: StoreEvent[] = [];
    store.watchFrom(SECRETS, 1, (e) => seen.push(e));
    store.create(SECRETS, secret('c'));
    expect(seen.map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
  });

  test('a resourceVersion older than the kept history is 410 Expired', () => {
    const store = new MemoryStore({ historySize: 2 });
    for (const n of ['a', 'b', 'c', 'd']) store.create(SECRETS, secret(n));
    expect(store.eventsSince(SECRETS, 2).map((e) => e.object.metadata.name)).toEqual(['c', 'd']);
    expect(statusOf(() => store.eventsSince(SECRETS, 1))).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (3)' });
  });
});
