/**
 * The JSON-patch guard: copy, move and test on a masked value, and renames of env vars, are
 * refused; everything a user patches day to day goes through. Pointers are read as the apiserver
 * reads them, so no spelling of a masked path slips past.
 */
import { createPatchGuard, type PatchTarget } from '../../../src/mask/patch-guard.js';
import { maskingConfig } from './fixtures.js';

const guard = createPatchGuard(maskingConfig());
const SECRETS: PatchTarget = { apiGroup: '', resource: 'secrets' };
const CONFIGMAPS: PatchTarget = { apiGroup: '', resource: 'configmaps' };
const PODS: PatchTarget = { apiGroup: '', resource: 'pods' };
const DEPLOYMENTS: PatchTarget = { apiGroup: 'apps', resource: 'deployments' };

const check = (target: PatchTarget, ops: unknown, g = guard) => g.check(target, typeof ops === 'string' ? ops : JSON.stringify(ops));
const copy = (from: string, path = '/metadata/annotations/x') => [{ op: 'copy', from, path }];
const move = (from: string, path = '/metadata/annotations/x') => [{ op: 'move', from, path }];
const test = (path: string, value: unknown = 'guess') => [{ op: 'test', path, value }];

describe('JSON-patch guard: the issue\'s attack', () => {
  it('refuses the exact patch with a 403 that says why', () => {
    const verdict = check(SECRETS, [{ op: 'copy', from: '/data/password', path: '/metadata/annotations/x' }]);
    expect(verdict).toEqual({ ok: false, code: 403, reason: expect.stringMatching(/^JSON patch operation 0 \(copy\) copies from "\/data\/password", which holds a Secret field kgate masks .*refuses copy, move and test on masked values/) as unknown });
  });

  const destinations = ['/metadata/annotations/x', '/metadata/generateName', '/metadata/finalizers/-', '/metadata/labels/x', '/type', '/metadata/ownerReferences/0/name', '/metadata/managedFields/0/manager', '/metadata/name', '/x'];
  it.each(destinations)('refuses copy and move of /data/password to %s', (path) => {
    expect(check(SECRETS, copy('/data/password', path))).toMatchObject({ ok: false, code: 403 });
    expect(check(SECRETS, move('/data/password', path))).toMatchObject({ ok: false, code: 403 });
  });
});

describe('JSON-patch guard: Secrets', () => {
  it.each([
    ['/data/password'], ['/data'], [''], ['/stringData/password'], ['/stringData'],
    ['/data/pass~1word'], ['/data/~0x'], ['/metadata'], ['/metadata/annotations'], ['/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration'],
    ['/metadata/annotations/example.com~1note'], ['/metadata/labels/app'], ['/metadata/generateName'], ['/metadata/finalizers/0'], ['/metadata/finalizers/-1'],
    ['/metadata/ownerReferences/+0/name'], ['/metadata/managedFields/0/manager'], ['/type'], ['/metadata/name/x'], ['/'],
  ])('refuses copy, move and test on %j', (pointer) => {
    for (const ops of [copy(pointer), move(pointer), test(pointer)]) expect(check(SECRETS, ops)).toMatchObject({ ok: false, code: 403 });
  });

  it.each([['/metadata/name'], ['/metadata/namespace'], ['/metadata/uid'], ['/metadata/resourceVersion'], ['/metadata/generation'], ['/metadata/creationTimestamp'], ['/kind'], ['/apiVersion'], ['/immutable']])('lets identity be read: %s', (pointer) => {
    expect(check(SECRETS, test(pointer, 'x'))).toEqual({ ok: true });
    expect(check(SECRETS, copy(pointer, '/metadata/labels/copied'))).toEqual({ ok: true });
  });

  it('lets every write through: add, replace and remove of data, labels and annotations', () => {
    expect(check(SECRETS, [
      { op: 'add', path: '/data/new', value: 'dmFsdWU=' },
      { op: 'replace', path: '/data/password', value: 'bmV3' },
      { op: 'remove', path: '/data/username' },
      { op: 'add', path: '/metadata/labels/rotated', value: 'yes' },
      { op: 'test', path: '/metadata/resourceVersion', value: '48213' },
    ])).toEqual({ ok: true });
  });

  it('refuses the first bad operation of many and names it', () => {
    const verdict = check(SECRETS, [{ op: 'add', path: '/metadata/labels/a', value: 'b' }, { op: 'test', path: '/data/password', value: 'aHVudGVyMg==' }]);
    expect(verdict).toMatchObject({ ok: false, code: 403, reason: expect.stringContaining('JSON patch operation 1 (test) tests "/data/password"') as unknown });
  });

  it('lets Secret fields be copied when the policy does not mask Secrets', () => {
    const open = createPatchGuard(maskingConfig({ secrets: false }));
    expect(check(SECRETS, copy('/data/password'), open)).toEqual({ ok: true });
    expect(check(SECRETS, copy(''), open)).toMatchObject({ ok: false, code: 403 });
  });

  it('does not treat secrets of another API group as Secrets', () => {
    expect(check({ apiGroup: 'example.com', resource: 'secrets' }, copy('/data/password'))).toEqual({ ok: true });
  });
});

describe('JSON-patch guard: ConfigMap keys and annotations the policy marks', () => {
  it.each([['/data/db.password'], ['/data/api-token'], ['/binaryData/server.key'], ['/data'], ['/binaryData']])('refuses copy, move and test of %s', (pointer) => {
    for (const ops of [copy(pointer), move(pointer), test(pointer)]) expect(check(CONFIGMAPS, ops)).toMatchObject({ ok: false, code: 403 });
  });

  it('lets unmarked keys be copied, and any key when the policy marks none', () => {
    expect(check(CONFIGMAPS, copy('/data/LOG_LEVEL', '/data/OTHER'))).toEqual({ ok: true });
    const none = createPatchGuard(maskingConfig({ configMapKeys: [] }));
    expect(check(CONFIGMAPS, copy('/data/db.password', '/data/x'), none)).toEqual({ ok: true });
    expect(check(CONFIGMAPS, copy('/data', '/binaryData'), none)).toEqual({ ok: true });
  });

  it('refuses reading the last-applied annotation and annotations the policy masks, of any resource', () => {
    const named = createPatchGuard(maskingConfig({ annotations: ['vault.example.com/*'] }));
    expect(check(DEPLOYMENTS, copy('/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration'), named)).toMatchObject({ ok: false, code: 403 });
    expect(check(PODS, test('/metadata/annotations/vault.example.com~1token'), named)).toMatchObject({ ok: false, code: 403 });
    expect(check(PODS, copy('/metadata/annotations/example.com~1note', '/metadata/labels/x'), named)).toEqual({ ok: true });
    expect(check(PODS, copy('/metadata/annotations'), named)).toMatchObject({ ok: false, code: 403 });
    const plain = createPatchGuard(maskingConfig({ lastAppliedConfiguration: false }));
    expect(check(PODS, copy('/metadata/annotations'), plain)).toEqual({ ok: true });
  });
});

describe('JSON-patch guard: env values', () => {
  it.each([
    ['/spec/containers/0/env/0/value'], ['/spec/containers/0/env/0'], ['/spec/containers/0/env'], ['/spec/containers/0'], ['/spec/containers'],
    ['/spec/containers/+0/env/-1/value'], ['/spec/initContainers/0/env/1/value'], ['/spec/ephemeralContainers/0/env'],
  ])('refuses copy, move and test of %s in a Pod', (pointer) => {
    for (const ops of [copy(pointer), move(pointer), test(pointer)]) expect(check(PODS, ops)).toMatchObject({ ok: false, code: 403 });
  });

  it('refuses it in workload templates and custom resources too', () => {
    expect(check(DEPLOYMENTS, copy('/spec/template/spec/containers/0/env/2/value'))).toMatchObject({ ok: false, code: 403 });
    expect(check({ apiGroup: 'example.com', resource: 'workers' }, copy('/spec/pods/3/containers/0/env'))).toMatchObject({ ok: false, code: 403 });
  });

  it('lets a whole pod template be copied (the masker still finds its env) and other container fields be read', () => {
    expect(check(DEPLOYMENTS, copy('/spec/template', '/spec/other'))).toEqual({ ok: true });
    expect(check(PODS, copy('/spec/containers/0/image', '/metadata/annotations/image'))).toEqual({ ok: true });
  });

  it('refuses renaming an env var, which would unmask its value, but not replacing the whole entry', () => {
    for (const op of ['replace', 'add', 'remove']) {
      expect(check(PODS, [{ op, path: '/spec/containers/0/env/1/name', value: 'HARMLESS' }])).toMatchObject({ ok: false, code: 403, reason: expect.stringContaining('the name of an env var') as unknown });
    }
    expect(check(DEPLOYMENTS, [{ op: 'copy', from: '/metadata/name', path: '/spec/template/spec/containers/0/env/0/name' }])).toMatchObject({ ok: false, code: 403 });
    expect(check(PODS, [{ op: 'replace', path: '/spec/containers/0/env/1', value: { name: 'X', value: 'mine' } }])).toEqual({ ok: true });
    expect(check(PODS, [{ op: 'test', path: '/spec/containers/0/image', value: 'x' }])).toEqual({ ok: true });
  });

  it('lets env be copied when the policy marks no env names', () => {
    const none = createPatchGuard(maskingConfig({ envNamePatterns: [] }));
    expect(check(PODS, copy('/spec/containers/0/env/0/value'), none)).toEqual({ ok: true });
    expect(check(PODS, [{ op: 'replace', path: '/spec/containers/0/env/1/name', value: 'X' }], none)).toEqual({ ok: true });
  });
});

describe('JSON-patch guard: what it cannot read is a bad request', () => {
  it.each([
    ['not JSON', '[{"op":'],
    ['not an array', { op: 'copy', from: '/data/password', path: '/x' }],
    ['an operation that is no object', ['copy']],
    ['an unknown op', [{ op: 'Copy', from: '/data/password', path: '/x' }]],
    ['a missing path', [{ op: 'add', value: 1 }]],
    ['a copy without from', [{ op: 'copy', path: '/x' }]],
    ['a from the apiserver reads after its first slash', copy('data/password')],
    ['a prefix before the slash', copy('x/data/password')],
    ['a path without a slash', [{ op: 'test', path: 'data/password', value: 'x' }]],
  ])('refuses %s with 400', (_what, body) => {
    expect(check(SECRETS, body)).toMatchObject({ ok: false, code: 400 });
  });

  it('reads duplicate keys as the apiserver does: the last one', () => {
    expect(check(SECRETS, '[{"op":"copy","from":"/metadata/name","from":"/data/password","path":"/x"}]')).toMatchObject({ ok: false, code: 403 });
    expect(check(SECRETS, '[{"op":"copy","from":"/data/password","from":"/metadata/name","path":"/x"}]')).toEqual({ ok: true });
  });

  it('quotes a long pointer cut short', () => {
    const verdict = check(SECRETS, copy(`/data/${'k'.repeat(5000)}`));
    expect(verdict.ok === false && verdict.reason.length).toBeLessThan(600);
  });
});
