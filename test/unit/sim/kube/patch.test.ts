import { applyMerge, jsonPatch, listStrategy, mergePatch, strategicMergePatch } from '../../../sim/kube/patch.js';
import { StatusError } from '../../../sim/kube/types.js';

const pod = () => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'side:1' },
    ],
    tolerations: [{ key: 't1' }],
  },
});

describe('JSON merge patch (RFC 7386)', () => {
  test('maps merge, null deletes, lists replace', () => {
    expect(mergePatch(pod(), { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [{ name: 'only' }] } })).toEqual({
      ...pod(),
      metadata: { name: 'p', labels: { b: '2', c: '3' }, finalizers: ['x'] },
      spec: { ...pod().spec, containers: [{ name: 'only' }] },
    });
  });
});

describe('strategic merge patch', () => {
  test('containers merge by name and env by name', () => {
    const out = strategicMergePatch(pod(), { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } }) as ReturnType<typeof pod>;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app', 'side']);
    expect(out.spec.containers[0]).toMatchObject({ image: 'app:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] });
  });

  test('$patch: delete removes a keyed element, null a field, $setElementOrder reorders', () => {
    const out = strategicMergePatch(pod(), {
      spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }], containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }], ports: null }] },
    }) as ReturnType<typeof pod>;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['side', 'app']);
    expect(out.spec.containers[1]).toEqual({ name: 'app', image: 'app:1', env: [{ name: 'B', value: '2' }] });
  });

  test('lists without a merge key (tolerations) are replaced; finalizers merge as a set', () => {
    const out = strategicMergePatch(pod(), { metadata: { finalizers: ['y', 'x'] }, spec: { tolerations: [{ key: 't2' }] } }) as ReturnType<typeof pod>;
    expect(out.metadata.finalizers).toEqual(['x', 'y']);
    expect(out.spec.tolerations).toEqual([{ key: 't2' }]);
  });

  test('$deleteFromPrimitiveList and $patch: replace', () => {
    const out = strategicMergePatch(pod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'], labels: { $patch: 'replace', z: '9' } } }) as ReturnType<typeof pod>;
    expect(out.metadata).toEqual({ name: 'p', labels: { z: '9' }, finalizers: [] });
  });

  test('RBAC subjects have no merge key', () => {
    expect(listStrategy(['subjects'])).toBeUndefined();
    expect(listStrategy(['spec', 'template', 'spec', 'containers'])).toEqual({ mergeKey: 'name' });
    expect(listStrategy(['spec', 'containers', 'ports'])).toEqual({ mergeKey: 'containerPort' });
  });
});

describe('JSON patch (RFC 6902)', () => {
  test('add, remove, replace, move, copy, test and escaped pointers', () => {
    const doc = { metadata: { name: 'x', annotations: { 'a/b': '1' } }, list: [1, 2] };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'replace', path: '/metadata/annotations/a~1b', value: '2' },
      { op: 'copy', from: '/metadata/name', path: '/copied' },
      { op: 'move', from: '/copied', path: '/moved' },
      { op: 'test', path: '/moved', value: 'x' },
    ]);
    expect(out).toEqual({ metadata: { name: 'x', annotations: { 'a/b': '2' } }, list: [0, 2, 3], moved: 'x' });
    expect(doc.list).toEqual([1, 2]);
  });

  test('reads pointers and indices as the apiserver\'s library (evanphx/json-patch v4.12) does', () => {
    const doc = { data: { password: 'cA==' }, list: ['a', 'b', 'c'], metadata: { name: 'x' } };
    expect(jsonPatch(doc, [{ op: 'copy', from: 'ignored/data/password', path: '/copied' }]).copied).toBe('cA==');
    expect(jsonPatch(doc, [{ op: 'remove', path: '/list/-1' }]).list).toEqual(['a', 'b']);
    expect(jsonPatch(doc, [{ op: 'add', path: '/list/+0', value: 'z' }]).list).toEqual(['z', 'a', 'b', 'c']);
    expect(jsonPatch(doc, [{ op: 'replace', path: '/metadata/missing', value: 'added' }]).metadata).toEqual({ name: 'x', missing: 'added' });
    expect(jsonPatch(doc, [{ op: 'copy', from: '/metadata/missing', path: '/copied' }]).copied).toBeNull();
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/metadata/missing', value: null }])).not.toThrow();
    expect(() => jsonPatch(doc, [{ op: 'move', from: '/metadata/missing', path: '/x' }])).toThrow(/Unable to remove nonexistent key: missing/);
    expect(() => jsonPatch(doc, [{ op: 'copy', from: 'nothing', path: '/x' }])).toThrow(/copy operation does not apply: doc is missing from path/);
  });

  test('test and replace on the root see the whole document', () => {
    const doc = { b: [1, { c: 2 }], a: 'x' };
    expect(() => jsonPatch(doc, [{ op: 'test', path: '', value: { a: 'x', b: [1, { c: 2 }] } }])).not.toThrow();
    expect(() => jsonPatch(doc, [{ op: 'test', path: '', value: { a: 'y', b: [1, { c: 2 }] } }])).toThrow(/testing value {2}failed: test failed/);
    expect(jsonPatch(doc, [{ op: 'replace', path: '', value: { z: 1 } }])).toEqual({ z: 1 });
  });

  test('a failing operation is a 422 Status', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/missing/deep', value: 1 }])).toThrow(StatusError);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'bogus', path: '/a' }])).toThrow(StatusError);
  });
});

describe('server-side apply merge', () => {
  test('applied fields win and keyed lists merge', () => {
    const out = applyMerge(pod(), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { c: '3' } }, spec: { containers: [{ name: 'side', image: 'side:2' }] } }) as ReturnType<typeof pod>;
    expect(out.metadata.labels).toEqual({ a: '1', b: '2', c: '3' });
    expect(out.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:1', 'side=side:2']);
  });
});
