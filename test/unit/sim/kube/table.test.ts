import { findResourceType } from '../../../sim/kube/resources.js';
import { humanDuration, parseIncludeObject, toTable } from '../../../sim/kube/table.js';
import type { KubeObject } from '../../../sim/kube/types.js';

const NOW = new Date('2026-01-10T00:00:00Z');
const type = (group: string, resource: string) => findResourceType(group, 'v1', resource)!;
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: '2026-01-09T23:55:00Z', uid: 'u', resourceVersion: '7', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, ...extra });

describe('humanDuration (duration.HumanDuration)', () => {
  test.each([
    [-5000, '<invalid>'], [-500, '0s'], [0, '0s'], [119_000, '119s'], [120_000, '2m'], [125_000, '2m5s'], [600_000, '10m'],
    [3 * 3600_000, '3h'], [3 * 3600_000 + 60_000, '3h1m'], [9 * 3600_000, '9h'], [50 * 3600_000, '2d2h'], [48 * 3600_000, '2d'],
    [10 * 86400_000, '10d'], [800 * 86400_000, '2y70d'], [3000 * 86400_000, '8y'],
  ])('%d ms → %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('Table', () => {
  test('pods: kube-apiserver columns, wide columns at priority 1, metadata object by default', () => {
    const pod: KubeObject = {
      apiVersion: 'v1', kind: 'Pod', metadata: meta('web'),
      spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.0.0.5', containerStatuses: [{ ready: true, restartCount: 2 }, { ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    };
    const table = toTable(type('', 'pods'), [pod], { version: 'v1', includeObject: 'Metadata', now: NOW, listMeta: { resourceVersion: '9' } }) as {
      kind: string; apiVersion: string; metadata: unknown; columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: Record<string, unknown> }[];
    };
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '9' } });
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual(['Name:0', 'Ready:0', 'Status:0', 'Restarts:0', 'Age:0', 'IP:1', 'Node:1', 'Nominated Node:1', 'Readiness Gates:1']);
    expect(table.rows[0]!.cells).toEqual(['web', '1/2', 'CrashLoopBackOff', '3', '5m', '10.0.0.5', 'node-1', '<none>', '<none>']);
    expect(table.rows[0]!.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  });

  test('secrets count data; includeObject=Object embeds the full object, None omits it', () => {
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), type: 'Opaque', data: { a: 'MQ==', b: 'Mg==' } };
    const full = toTable(type('', 'secrets'), [secret], { version: 'v1beta1', includeObject: 'Object', now: NOW }) as { apiVersion: string; rows: { cells: unknown[]; object: unknown }[] };
    expect(full.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(full.rows[0]).toEqual({ cells: ['s', 'Opaque', 2, '5m'], object: secret });
    const none = toTable(type('', 'secrets'), [secret], { version: 'v1', includeObject: 'None', now: NOW }) as { rows: { object: unknown }[] };
    expect(none.rows[0]!.object).toBeNull();
  });

  test('role bindings show Role and the subjects by kind', () => {
    const binding: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('rb'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ci' }, { kind: 'User', name: 'bob' }],
    };
    const table = toTable(type('rbac.authorization.k8s.io', 'rolebindings'), [binding], { version: 'v1', includeObject: 'None', now: NOW }) as { rows: { cells: unknown[] }[] };
    expect(table.rows[0]!.cells).toEqual(['rb', 'ClusterRole/view', '5m', 'alice, bob', 'devs', 'ci/sa']);
  });

  test('types without a printer get Name and Created At; namespaces and configmaps their own', () => {
    const role: KubeObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('r') };
    const table = toTable(type('rbac.authorization.k8s.io', 'roles'), [role], { version: 'v1', includeObject: 'None', now: NOW }) as { columnDefinitions: { name: string; type: string }[]; rows: { cells: unknown[] }[] };
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.type}`)).toEqual(['Name:string', 'Created At:date']);
    expect(table.rows[0]!.cells).toEqual(['r', '2026-01-09T23:55:00Z']);
    const ns = toTable(type('', 'namespaces'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta('n'), status: { phase: 'Terminating' } }], { version: 'v1', includeObject: 'None', now: NOW }) as { rows: { cells: unknown[] }[] };
    expect(ns.rows[0]!.cells).toEqual(['n', 'Terminating', '5m']);
    const cm = toTable(type('', 'configmaps'), [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c'), data: { a: '' }, binaryData: { b: '' } }], { version: 'v1', includeObject: 'None', now: NOW }) as { rows: { cells: unknown[] }[] };
    expect(cm.rows[0]!.cells).toEqual(['c', 2, '5m']);
  });

  test('watch events after the first carry no column definitions', () => {
    const table = toTable(type('', 'configmaps'), [], { version: 'v1', includeObject: 'None', now: NOW, noHeaders: true }) as { columnDefinitions: unknown };
    expect(table.columnDefinitions).toBeNull();
  });

  test('includeObject accepts only None, Metadata (default) and Object', () => {
    expect(parseIncludeObject(null)).toBe('Metadata');
    expect(parseIncludeObject('Object')).toBe('Object');
    expect(() => parseIncludeObject('All')).toThrow(/Unsupported value/);
  });
});
