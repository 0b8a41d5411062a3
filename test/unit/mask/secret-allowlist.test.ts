/**
 * The Secret allowlist and known-value masking: a Secret value copied (by a JSON patch, on a
 * dry run or for real) into any other field never comes out in clear, in any response shape, while
 * what a user needs to find and relate Secrets stays readable. Also the same for ConfigMap keys and
 * env values the policy marks, and for the patched object an apiserver error quotes.
 */
import { goQuote } from '../../../src/kube/status.js';
import { createMasker, maskMarker, base64Marker, maskJsonBody, createListStreamMasker, createWatchStreamMasker, maskAllChunks } from '../../../src/mask/index.js';
import { maskerForTarget } from '../../../src/mask/object-masker.js';
import type { ChunkMasker, Masker } from '../../../src/mask/index.js';
import { jsonPatch } from '../../sim/kube/patch.js';
import { b64, deepFreeze, findLeaks, maskingConfig } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk masked JSON freely
type Obj = Record<string, any>;

const PASSWORD = 'prod-S3cr3t-pa55word';
const USERNAME = 'app-prod-user';
const masker = createMasker(maskingConfig());
const SECRETS_TARGET = { apiGroup: '', resource: 'secrets' };
const leaks = (text: string) => findLeaks(text, { PASSWORD, USERNAME });

/** The sample Secret as the apiserver stores it, with what a real one carries around its data. */
function dbCredentials(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db-credentials',
      namespace: 'prod',
      uid: '8d3c6a1e-2f4b-4c5d-9e6f-7a8b9c0d1e2f',
      resourceVersion: '48213',
      creationTimestamp: '2025-03-01T10:00:00Z',
      labels: { app: 'web', 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': 'web', 'meta.helm.sh/release-namespace': 'prod' },
      finalizers: ['example.com/keep'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2025-03-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:password': {}, 'f:username': {} }, 'f:type': {} } }],
    },
    data: { username: b64(USERNAME), password: b64(PASSWORD) },
    type: 'Opaque',
  };
}

function mask(obj: unknown, ctx?: Parameters<typeof masker.maskObject>[1]): { value: Obj; count: number; json: string } {
  const { value, count } = masker.maskObject(deepFreeze(structuredClone(obj)), ctx);
  return { value: value as Obj, count, json: JSON.stringify(value) };
}

describe('Secret allowlist: what stays in clear', () => {
  it('keeps identity, keys, labels, owners, managed fields, Helm annotations and a built-in type', () => {
    const secret = dbCredentials();
    const { value, count } = mask(secret);
    expect(value.data).toEqual({ username: base64Marker('secret'), password: base64Marker('secret') });
    expect({ ...value, data: secret.data }).toEqual(secret);
    expect(count).toBe(2);
  });

  it('keeps a service-account token Secret readable although its data holds its own namespace', () => {
    const token = {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: 'deployer-token', namespace: 'kube-system', annotations: { 'kubernetes.io/service-account.name': 'deployer', 'kubernetes.io/service-account.uid': '4f6e2b1a-9c3d-4e8f-a1b2-c3d4e5f60718' } },
      data: { namespace: b64('kube-system'), token: b64('eyJhbGciOiJSUzI1NiJ9.e30.c2ln'), 'ca.crt': b64('-----BEGIN CERTIFICATE-----') },
    };
    const { value } = mask(token);
    expect(value.metadata).toEqual(token.metadata);
    expect(value.type).toBe('kubernetes.io/service-account-token');
  });

  it('keeps the watch bookmark that ends the initial events, which client-go reads', () => {
    const bookmark = { type: 'BOOKMARK', object: { kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: '48400', annotations: { 'k8s.io/initial-events-end': 'true' } } } };
    expect(mask(bookmark).value).toEqual(bookmark);
  });

  it.each([
    ['a custom type', { type: 'helm.sh/release.v1' }, (v: Obj) => v.type],
    ['generateName', { metadata: { name: 's', generateName: 'db-' } }, (v: Obj) => v.metadata.generateName],
    ['any other annotation', { metadata: { name: 's', annotations: { 'example.com/note': 'rotated on Monday' } } }, (v: Obj) => v.metadata.annotations['example.com/note']],
    ['a label value that is no label value', { metadata: { name: 's', labels: { note: 'two words' } } }, (v: Obj) => v.metadata.labels.note],
    ['a finalizer that is no qualified name', { metadata: { name: 's', finalizers: ['Not A Finalizer'] } }, (v: Obj) => v.metadata.finalizers[0]],
    ['an unknown metadata field', { metadata: { name: 's', note: 'x' } }, (v: Obj) => v.metadata.note],
    ['an unknown top-level field', { status: { phase: 'x' } }, (v: Obj) => v.status.phase],
    ['a managedFields manager with a newline', { metadata: { name: 's', managedFields: [{ manager: 'a\nb', operation: 'Update' }] } }, (v: Obj) => v.metadata.managedFields[0].manager],
    ['stringData', { stringData: { password: 'x' } }, (v: Obj) => v.stringData.password],
  ])('masks %s', (_what, extra, pick) => {
    const { value } = mask({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...extra });
    expect(pick(value)).toBe(maskMarker('secret'));
  });
});

/** Every place the attack put a Secret value, as JSON patch operations after a copy. */
const DESTINATIONS: [string, Obj[]][] = [
  ['an annotation', [{ op: 'add', path: '/metadata/annotations/x', value: '' }]],
  ['generateName', [{ op: 'add', path: '/metadata/generateName', value: '' }]],
  ['a finalizer', [{ op: 'add', path: '/metadata/finalizers/-', value: '' }]],
  ['a label', [{ op: 'add', path: '/metadata/labels/x', value: '' }]],
  ['type', [{ op: 'replace', path: '/type', value: '' }]],
  ['an owner name', [{ op: 'replace', path: '/metadata/ownerReferences/0/name', value: '' }]],
  ['an owner kind', [{ op: 'replace', path: '/metadata/ownerReferences/0/kind', value: '' }]],
  ['an owner uid', [{ op: 'replace', path: '/metadata/ownerReferences/0/uid', value: '' }]],
  ['a field manager', [{ op: 'replace', path: '/metadata/managedFields/0/manager', value: '' }]],
  ['a managed field time', [{ op: 'replace', path: '/metadata/managedFields/0/time', value: '' }]],
  ['inside fieldsV1', [{ op: 'add', path: '/metadata/managedFields/0/fieldsV1/f:x', value: '' }]],
  ['selfLink', [{ op: 'add', path: '/metadata/selfLink', value: '' }]],
  ['the Helm release annotation', [{ op: 'replace', path: '/metadata/annotations/meta.helm.sh~1release-name', value: '' }]],
  ['kind', [{ op: 'replace', path: '/kind', value: '' }]],
  ['apiVersion', [{ op: 'replace', path: '/apiVersion', value: '' }]],
  ['a new top-level field', [{ op: 'add', path: '/note', value: '' }]],
];

/** The Secret after the attack: the destination written, then the value copied (or its decoded text put) there. */
function attacked(destination: Obj[], form: 'copy' | 'decoded'): Obj {
  const path = destination[0]!.path as string;
  const target = path.endsWith('/-') ? path.replace(/-$/, String((dbCredentials().metadata.finalizers as unknown[]).length)) : path;
  const ops = form === 'copy'
    ? [...destination, { op: 'copy', from: '/data/password', path: target }]
    : [...destination, { op: 'replace', path: target, value: PASSWORD.toLowerCase().replace(/[^a-z0-9]/g, '') }];
  return jsonPatch(dbCredentials(), ops);
}

describe('Secret allowlist: a Secret value copied anywhere never comes out', () => {
  // As the pipeline masks them: every call knows the request was about secrets.
  const scoped = maskerForTarget(masker, SECRETS_TARGET);
  const streamed = (chunk: string, make: (m: Masker) => ChunkMasker) => maskAllChunks([Buffer.from(chunk)], make(scoped)).toString('utf8');
  const shapes: [string, (secret: Obj) => string][] = [
    ['the object', (s) => JSON.stringify(scoped.maskObject(s).value)],
    ['a dry-run patch response masked whole', (s) => maskJsonBody(scoped, JSON.stringify(s)).body],
    ['a SecretList streamed', (s) => streamed(JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [{ ...s, kind: undefined, apiVersion: undefined }] }), createListStreamMasker)],
    ['a watch event', (s) => streamed(`${JSON.stringify({ type: 'MODIFIED', object: s })}\n`, createWatchStreamMasker)],
    ['a PartialObjectMetadata', (s) => JSON.stringify(scoped.maskObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: s.metadata }).value)],
    ['a Table row', (s) => JSON.stringify(scoped.maskObject({ cells: [s.metadata.name, s.type, 2, '5m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: s.metadata } }, { listKind: 'Table' }).value)],
    ['a full object in a Table row', (s) => JSON.stringify(scoped.maskObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [], rows: [{ cells: [s.metadata.name, s.type, 2, '5m'], object: s }] }).value)],
  ];

  it.each(DESTINATIONS.filter(([where]) => !['kind', 'apiVersion'].includes(where)))('copied into %s, in an object masked without knowing the request', (_where, destination) => {
    expect(leaks(mask(attacked(destination, 'copy')).json)).toEqual([]);
  });

  for (const [where, destination] of DESTINATIONS) {
    it.each(shapes)(`copied into ${where}, in %s`, (_shape, render) => {
      const secret = attacked(destination, 'copy');
      expect(JSON.stringify(secret)).toContain(b64(PASSWORD));
      expect(leaks(render(secret))).toEqual([]);
    });
  }

  it.each(DESTINATIONS.filter(([where]) => ['a label', 'a finalizer', 'an owner name', 'a field manager', 'an annotation'].includes(where)))('as plain text shaped to pass, in %s', (_where, destination) => {
    // A value that is a valid label value, qualified name and owner name: only the known-value check catches it.
    const plain = PASSWORD.toLowerCase().replace(/[^a-z0-9]/g, '');
    const secret = { ...attacked(destination, 'decoded'), data: { password: b64(plain) } };
    expect(mask(secret).json).not.toContain(plain);
  });

  it('masks every string cell of a Secret Table row but the name, a built-in type, counts and ages', () => {
    const row = { cells: ['db-credentials', b64(PASSWORD), 2, '5m'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'db-credentials' } } };
    expect(mask(row, { listKind: 'Table', target: SECRETS_TARGET }).value.cells).toEqual(['db-credentials', maskMarker('secret'), 2, '5m']);
    const opaque = { cells: ['db-credentials', 'Opaque', 2, '3d4h'] };
    expect(mask(opaque, { listKind: 'Table', target: SECRETS_TARGET }).value.cells).toEqual(['db-credentials', 'Opaque', 2, '3d4h']);
    // A Table of another resource keeps its cells (detectors only).
    expect(mask(row, { listKind: 'Table' }).value.cells).toEqual(row.cells);
  });

  it('masks a secrets response as Secrets even when a patch changed its kind', () => {
    const renamed = { ...dbCredentials(), kind: 'ConfigMap' };
    expect(leaks(mask(renamed, { target: SECRETS_TARGET }).json)).toEqual([]);
    const scoped = maskerForTarget(masker, SECRETS_TARGET);
    expect(leaks(JSON.stringify(scoped.maskObject(renamed).value))).toEqual([]);
  });

  it('looks for the Secret\'s values inside its last-applied annotation too', () => {
    const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials', labels: { copy: 'prod-S3cr3t-pa55word'.replace(/[^a-z0-9]/gi, '') } }, type: 'Opaque' });
    const secret = { ...dbCredentials(), data: { password: b64('prodS3cr3tpa55word') }, metadata: { ...dbCredentials().metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied } } };
    expect(mask(secret).json).not.toContain('prodS3cr3tpa55word');
  });
});

describe('known values: ConfigMap keys and env values the policy marks', () => {
  const cmPassword = 'cm-pass-value-77';

  it.each([
    ['/metadata/generateName', 'add'],
    ['/metadata/labels/x', 'add'],
    ['/metadata/annotations/x', 'add'],
    ['/metadata/finalizers/0', 'add'],
    ['/data/notes', 'add'],
  ])('a marked ConfigMap value copied to %s is masked there', (path) => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: {}, annotations: {}, finalizers: [] }, data: { 'db.password': cmPassword, notes: 'plain' } };
    const patched = jsonPatch(cm, [{ op: 'copy', from: '/data/db.password', path }]);
    expect(mask(patched).json).not.toContain(cmPassword);
  });

  it('a detector hit copied into generateName or a finalizer is masked (they are no longer skipped)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generateName: 'password=hunter2-prod', finalizers: ['password=hunter2-prod'] }, data: {} };
    expect(mask(cm).json).not.toContain('hunter2-prod');
  });

  it('a marked env value copied elsewhere in the Pod is masked there, and in a Deployment', () => {
    const secret = 'env-token-value-0001';
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'p', annotations: { note: secret }, labels: { copy: secret } },
      spec: { containers: [{ name: 'c', image: 'i', args: [`--token=${secret}`, b64(secret)], env: [{ name: 'SERVICE_TOKEN', value: secret }] }] },
    };
    const { json } = mask(pod);
    expect(findLeaks(json, { secret })).toEqual([]);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', annotations: { note: secret } }, spec: { template: { spec: pod.spec } } };
    expect(findLeaks(mask(deployment).json, { secret })).toEqual([]);
  });

  it('does not look for values shorter than six characters, nor across list items', () => {
    const pod = (value: string, note: string) => ({ kind: 'Pod', metadata: { name: 'p', annotations: { note } }, spec: { containers: [{ name: 'c', env: [{ name: 'ENABLE_TOKEN', value }] }] } });
    expect(mask(pod('true', 'sidecar=true')).value.metadata.annotations.note).toBe('sidecar=true');
    const list = { kind: 'PodList', apiVersion: 'v1', items: [pod('long-token-value', 'x'), pod('other-value', 'long-token-value')] };
    expect(mask(list).value.items[1].metadata.annotations.note).toBe('long-token-value');
  });

  it('finds many values through the anchor index as it does through includes', () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 40; i++) data[`k${i}.password`] = `marked-value-${i}-xyz`;
    const cm = { kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'marked-value-17-xyz', b: 'plain-value' } }, data };
    const { value } = mask(cm);
    expect(value.metadata.labels).toEqual({ a: maskMarker('configmap'), b: 'plain-value' });
  });
});

describe('error Statuses that quote the patched object', () => {
  /** The 422 a real apiserver answers when a JSON or merge patch leaves an undecodable object. */
  function undecodable(patched: Obj): Obj {
    const text = `Invalid value: ${goQuote(JSON.stringify(patched))}: strict decoding error: unknown field "bogus"`;
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: ` "" is invalid: patch: ${text}`, reason: 'Invalid', details: { causes: [{ reason: 'FieldValueInvalid', message: text, field: 'patch' }] }, code: 422 };
  }

  it('masks the Secret inside the message and the cause, and keeps the rest of the message', () => {
    const status = undecodable({ ...dbCredentials(), bogus: 1 });
    expect(JSON.stringify(status)).toContain(b64(PASSWORD));
    const { value, json } = mask(status, { target: SECRETS_TARGET });
    expect(leaks(json)).toEqual([]);
    expect(value.message).toMatch(/^ "" is invalid: patch: Invalid value: ".*\\"name\\":\\"db-credentials\\".*": strict decoding error: unknown field "bogus"$/);
    expect(value.details.causes[0].message).toContain(base64Marker('secret'));
  });

  it('masks it as a Secret even with its kind replaced, and a copied name too', () => {
    const patched = jsonPatch({ ...dbCredentials(), bogus: 1 }, [{ op: 'replace', path: '/kind', value: 'Status' }, { op: 'copy', from: '/data/password', path: '/metadata/name' }]);
    expect(leaks(mask(undecodable(patched), { target: SECRETS_TARGET }).json)).toEqual([]);
    // Without the request's resource the object is masked by its own kind: a Secret still is.
    expect(leaks(mask(undecodable({ ...dbCredentials(), bogus: 1 })).json)).toEqual([]);
  });

  it('masks env values of a quoted Deployment, and whole values it cannot read', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'DB_PASSWORD', value: PASSWORD }] }] } } }, bogus: 1 };
    expect(leaks(mask(undecodable(deployment)).json)).toEqual([]);
    const goMap = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `Secret "s" is invalid: patch: Invalid value: map[string]interface {}{"data":map[string]interface {}{"password":"${b64(PASSWORD)}"}}: unknown`, code: 422 };
    expect(leaks(mask(goMap).json)).toEqual([]);
    const unclosed = { ...goMap, message: `patch: Invalid value: "{\\"data\\":\\"${b64(PASSWORD)}` };
    expect(leaks(mask(unclosed).json)).toEqual([]);
  });

  it('masks every string under a data value that is not a string (found by test/unit/fuzz/bodies.test.ts)', () => {
    // The data map copied into itself: the apiserver cannot decode it and quotes it in its 422.
    const patched = jsonPatch(dbCredentials(), [{ op: 'copy', from: '/data', path: '/data/copy' }, { op: 'add', path: '/data/list', value: [{ a: PASSWORD }] }]);
    expect(leaks(JSON.stringify(patched))).not.toEqual([]);
    expect(leaks(mask(undecodable(patched), { target: SECRETS_TARGET }).json)).toEqual([]);
    const { value } = mask(patched);
    expect(value.data.copy).toEqual({ username: maskMarker('secret'), password: maskMarker('secret') });
    expect(value.data.list).toEqual([{ a: maskMarker('secret') }]);
    expect(value.data.password).toBe(base64Marker('secret'));
  });

  it('leaves ordinary error messages as they are', () => {
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Secret "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters', reason: 'Invalid', code: 422 };
    expect(mask(status, { target: SECRETS_TARGET })).toMatchObject({ value: status, count: 0 });
  });
});

describe('known values: found whatever their length and encoding', () => {
  it.each([
    ['ASCII', 'hunter22'],
    ['three-byte characters', '密码密码密码'],
    ['four-byte characters', '🔑🔑🔑🔑'],
    ['a long value next to a short one', 'x'.repeat(5000)],
  ])('finds a decoded %s value in a label-sized text and in a long one', (_what, plain) => {
    const secret = { kind: 'Secret', metadata: { name: 's', annotations: { 'meta.helm.sh/release-name': plain } , labels: { short: plain.length <= 63 ? plain : 'plain' } }, data: { a: b64(plain), b: b64('y'.repeat(3000)) }, type: 'Opaque' };
    const { json } = mask(secret);
    expect(json).not.toContain(plain);
    const pod = { kind: 'Pod', metadata: { name: 'p', annotations: { note: `before ${plain} after` } }, spec: { containers: [{ name: 'c', env: [{ name: 'A_TOKEN', value: plain }, { name: 'B_TOKEN', value: 'z'.repeat(4000) }] }] } };
    expect(mask(pod).json).not.toContain(plain);
  });
});
