import { createMasker, maskerFor, base64Marker, maskMarker, maskJsonBody, MaskError, LAST_APPLIED_ANNOTATION } from '../../../src/mask/index.js';
import {
  SECRETS,
  appliedSecretManifest,
  b64,
  configMap,
  createdSecret,
  cronJob,
  deepFreeze,
  deleteStatus,
  deployment,
  findLeaks,
  maskingConfig,
  mixedList,
  partialObjectMetadataList,
  secretItem,
  secretList,
  secretTable,
  tokenRequestResponse,
  watchEvents,
} from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk masked JSON freely
type Obj = Record<string, any>;

const masker = createMasker(maskingConfig());
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function mask(obj: unknown, ctx?: { listKind?: string }): { value: Obj; count: number; json: string } {
  const { value, count } = masker.maskObject(deepFreeze(structuredClone(obj)), ctx);
  return { value: value as Obj, count, json: JSON.stringify(value) };
}

function expectDataMasked(data: Record<string, string>): void {
  for (const v of Object.values(data)) {
    expect(v).toBe(base64Marker('secret'));
    expect(v).toMatch(BASE64);
    expect(Buffer.from(v, 'base64').toString('utf8')).toBe('***MASKED:secret***');
  }
}

describe('object masker: Secrets', () => {
  it('masks every data value of a SecretList whose items carry no kind, keeping structure', () => {
    const input = secretList();
    const { value, count, json } = mask(input);
    expect(findLeaks(json)).toEqual([]);
    expect(value.items).toHaveLength(5);
    for (const item of value.items.slice(0, 4)) expectDataMasked(item.data);
    expect(Object.keys(value.items[0].data)).toEqual(['DB_PASSWORD', 'API_TOKEN']);
    expect(value.items[1].immutable).toBe(true);
    expect(value.items[1].type).toBe('kubernetes.io/tls');
    expect(value.items[4]).toEqual((input.items as Obj[])[4]);
    expect(value.metadata).toEqual({ resourceVersion: '48300' });
    // 2 + 2 + 2 + 2 data values + 2 stringData values inside last-applied
    expect(count).toBe(10);
  });

  it('masks list items when told the list kind, since items carry none', () => {
    const item = secretItem('x', { password: SECRETS.dbPassword });
    const { value, count } = mask(item, { listKind: 'SecretList' });
    expectDataMasked(value.data);
    expect(count).toBe(1);
  });

  it('re-serialises last-applied with its plaintext stringData masked and structure kept', () => {
    const { value } = mask(secretList());
    const annotation: string = value.items[3].metadata.annotations[LAST_APPLIED_ANNOTATION];
    expect(annotation.endsWith('\n')).toBe(true);
    const manifest = JSON.parse(annotation);
    expect(manifest).toEqual({ ...appliedSecretManifest, stringData: { password: maskMarker('secret'), username: maskMarker('secret') } });
  });

  it('masks items of a mixed List by their own kind', () => {
    const { value, json, count } = mask(mixedList());
    expect(findLeaks(json)).toEqual([]);
    expectDataMasked(value.items[0].data);
    expect(value.items[1].kind).toBe('ConfigMap');
    expect(count).toBeGreaterThanOrEqual(5);
  });

  it('treats Secret-shaped objects of unknown kind as Secrets', () => {
    const { value } = mask({ metadata: { name: 'x' }, data: { a: b64(SECRETS.apiToken) }, type: 'Opaque' });
    expectDataMasked(value.data);
    const noType = mask({ metadata: { name: 'x' }, data: { a: b64(SECRETS.apiToken) } }, { listKind: 'List' });
    expectDataMasked(noType.value.data);
  });

  it('masks create, patch and delete responses that return the Secret', () => {
    const { json, count } = mask(createdSecret());
    expect(findLeaks(json)).toEqual([]);
    expect(count).toBe(1);
    const status = deleteStatus();
    expect(mask(status)).toMatchObject({ value: status, count: 0 });
  });

  it('leaves Secret data alone when the policy turns secrets off, but still runs detectors', () => {
    const off = createMasker(maskingConfig({ secrets: false }));
    const secret = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'a' }, data: { a: b64('plain') }, type: 'Opaque' };
    expect(off.maskObject(secret)).toEqual({ value: secret, count: 0 });
  });

  it('counts nothing and changes nothing when masking an already masked object', () => {
    const once = mask(secretList());
    const twice = mask(once.value);
    expect(twice.count).toBe(0);
    expect(twice.json).toBe(once.json);
  });
});

describe('object masker: Tables and metadata', () => {
  it('masks last-applied in default Table rows (PartialObjectMetadata) and keeps cells', () => {
    const table = secretTable('Metadata');
    const { value, json, count } = mask(table);
    expect(findLeaks(json)).toEqual([]);
    expect(value.columnDefinitions).toEqual(table.columnDefinitions);
    expect(value.rows.map((r: Obj) => r.cells)).toEqual((table.rows as Obj[]).map((r) => r.cells));
    expect(value.rows[0].object.kind).toBe('PartialObjectMetadata');
    expect(count).toBe(2);
  });

  it('masks full Secrets in Table rows with includeObject=Object (kubectl --sort-by)', () => {
    const { value, json, count } = mask(secretTable('Object'));
    expect(findLeaks(json)).toEqual([]);
    for (const row of value.rows.slice(0, 4)) expectDataMasked(row.object.data);
    expect(count).toBe(10);
  });

  it('masks in a row\'s cells the values its object masks (a printer column showing an env value or Secret data)', () => {
    const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web' }, spec: { containers: [{ name: 'app', env: [{ name: 'DB_PASSWORD', value: 'plain-looking-value' }] }] } };
    const secret = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, type: 'Opaque', data: { key: Buffer.from('another-plain-value').toString('base64') } };
    const table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', columnDefinitions: [], rows: [{ cells: ['web', 'plain-looking-value'], object: pod }, { cells: ['db', 'another-plain-value', 1], object: secret }] };
    const { value } = mask(table);
    expect(value.rows[0].cells).toEqual(['web', maskMarker('env')]);
    expect(value.rows[1].cells[1]).not.toContain('another-plain-value');
    expect(value.rows[1].cells[0]).toBe('db');
  });

  it('runs detectors over string cells', () => {
    const table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1', columnDefinitions: [], rows: [{ cells: ['cm', `token=${SECRETS.apiToken}`, 3] }] };
    const { value, count } = mask(table);
    expect(value.rows[0].cells).toEqual(['cm', `token=${maskMarker('password-assignment')}`, 3]);
    expect(count).toBe(1);
  });

  it('masks last-applied in a PartialObjectMetadataList', () => {
    const { json, count } = mask(partialObjectMetadataList());
    expect(findLeaks(json)).toEqual([]);
    expect(count).toBe(2);
  });

  it('replaces a last-applied annotation that does not parse with the marker', () => {
    const obj = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', annotations: { [LAST_APPLIED_ANNOTATION]: `{"password": "${SECRETS.dbPassword}"` } } };
    const { value, count } = mask(obj);
    expect(value.metadata.annotations[LAST_APPLIED_ANNOTATION]).toBe(maskMarker('last-applied'));
    expect(count).toBe(1);
  });

  it('replaces a last-applied annotation that is not an object, or only starts with a marker, with the marker', () => {
    // Found by test/unit/fuzz/bodies.test.ts: a numeric PIN copied into the annotation parsed as a number and came out.
    const pin = '41870357686';
    const secret = { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', annotations: { [LAST_APPLIED_ANNOTATION]: pin } }, data: { pin: b64(pin) } };
    const cm = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', annotations: { [LAST_APPLIED_ANNOTATION]: `${pin}\n` } }, data: { 'db.password': pin } };
    for (const obj of [secret, cm]) {
      const { value, json } = mask(obj);
      expect(value.metadata.annotations[LAST_APPLIED_ANNOTATION]).toBe(maskMarker('last-applied'));
      expect(json).not.toContain(pin);
    }
    for (const text of ['true', 'null', '[1]', `"${SECRETS.dbPassword}"`, `${maskMarker('last-applied')}${SECRETS.dbPassword}`, `${maskMarker('x')} {"stringData":{"p":"${SECRETS.dbPassword}"}}`]) {
      const obj = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', annotations: { [LAST_APPLIED_ANNOTATION]: text } } };
      expect(mask(obj)).toMatchObject({ value: { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: maskMarker('last-applied') } } }, count: 1 });
    }
    // Masked once, it stays as it is and counts nothing.
    const masked = mask(cm).value;
    expect(mask(masked)).toMatchObject({ value: masked, count: 0 });
  });

  it('keeps a last-applied annotation byte for byte when nothing in it is secret', () => {
    const text = '{"apiVersion":"v1","kind":"Namespace","metadata":{"annotations":{},"name":"team-a"}}\n';
    const obj = { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team-a', annotations: { [LAST_APPLIED_ANNOTATION]: text } } };
    expect(mask(obj)).toMatchObject({ value: obj, count: 0 });
  });

  it('masks annotations the policy names, and detector hits in others', () => {
    const named = createMasker(maskingConfig({ annotations: ['vault.example.com/*'] }));
    const obj = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p', annotations: { 'vault.example.com/token': 's.abc', 'kubernetes.io/change-cause': `kubectl create secret --from-literal=password=${SECRETS.dbPassword}` } },
    };
    const { value, count } = named.maskObject(obj) as { value: Obj; count: number };
    expect(value.metadata.annotations['vault.example.com/token']).toBe(maskMarker('annotation'));
    expect(value.metadata.annotations['kubernetes.io/change-cause']).toBe(`kubectl create secret --from-literal=password=${maskMarker('password-assignment')}`);
    expect(count).toBe(2);
  });

  it('does not run detectors over identifiers', () => {
    const tokenish = `token=${SECRETS.apiToken}`;
    const obj = { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: tokenish, namespace: tokenish, uid: tokenish, resourceVersion: tokenish, labels: { l: tokenish } } };
    const { value, count } = mask(obj);
    expect(value.metadata.name).toBe(tokenish);
    expect(value.metadata.uid).toBe(tokenish);
    expect(value.metadata.labels.l).toBe(`token=${maskMarker('password-assignment')}`);
    expect(count).toBe(1);
  });
});

describe('object masker: workloads, ConfigMaps, tokens, watch events', () => {
  it('masks env values by name pattern (case-insensitive) and by detectors, in containers and initContainers', () => {
    const { value, json, count } = mask(deployment());
    expect(findLeaks(json)).toEqual([]);
    const spec = value.spec.template.spec;
    expect(spec.initContainers[0].env[0].value).toBe(maskMarker('env'));
    expect(spec.containers[0].env).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'SERVICE_TOKEN', value: maskMarker('env') },
      { name: 'AWS_ACCESS_KEY_ID', value: maskMarker('aws-access-key-id') },
      { name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'db', key: 'host' } } },
    ]);
    expect(spec.containers[0].args[1]).toBe(`--github-token=${maskMarker('github-token')}`);
    expect(count).toBe(4);
  });

  it('masks env in CronJob job templates and Pods', () => {
    const { value, count } = mask(cronJob());
    expect(value.spec.jobTemplate.spec.template.spec.containers[0].env[0].value).toBe(maskMarker('env'));
    expect(count).toBe(1);
    const pod = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { ephemeralContainers: [{ name: 'debug', env: [{ name: 'My_Secret_Key', value: 'x' }] }] } };
    expect((mask(pod).value as Obj).spec.ephemeralContainers[0].env[0].value).toBe(maskMarker('env'));
  });

  it('masks ConfigMap keys named by policy and detector hits in the rest', () => {
    const cm = configMap();
    const { value, json, count } = mask(cm);
    expect(findLeaks(json)).toEqual([]);
    expect(value.data['db.password']).toBe(maskMarker('configmap'));
    expect(value.data['server.key']).toBe(maskMarker('configmap'));
    expect(value.data['app.properties']).toBe(`region=eu-west-1\naws_secret_access_key=${maskMarker('aws-secret-access-key')}\nlog.level=info\n`);
    expect(value.data['feature-flags']).toBe('a=1,b=2');
    expect(value.binaryData['client.pem']).toBe(base64Marker('configmap'));
    expect(value.binaryData['logo.png']).toBe((cm.binaryData as Obj)['logo.png']);
    expect(count).toBe(4);
  });

  it('masks TokenRequest status.token', () => {
    const { value, json, count } = mask(tokenRequestResponse());
    expect(findLeaks(json)).toEqual([]);
    expect(value.status).toEqual({ token: maskMarker('token'), expirationTimestamp: '2025-03-01T10:10:00Z' });
    expect(count).toBe(1);
  });

  it('masks every watch event type, including Table events, and keeps BOOKMARK and ERROR intact', () => {
    const events = watchEvents();
    const masked = events.map((e) => mask(e));
    expect(findLeaks(JSON.stringify(masked.map((m) => m.value)))).toEqual([]);
    expect(masked.map((m) => m.value.type)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK', 'DELETED', 'ADDED', 'ERROR']);
    expect(masked[2]!.value).toEqual(events[2]);
    expect(masked[5]!.value).toEqual(events[5]);
    expect(masked.map((m) => m.count)).toEqual([1, 1, 0, 1, 4, 0]);
  });
});

describe('object masker: policy and failure', () => {
  it('never mutates its input (frozen input would throw)', () => {
    const input = deepFreeze(secretList());
    const before = JSON.stringify(input);
    masker.maskObject(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('reports exemption by group', () => {
    const exempt = createMasker(maskingConfig({ exemptGroups: ['sre-breakglass'] }));
    expect(exempt.isExempt(['dev', 'sre-breakglass'])).toBe(true);
    expect(exempt.isExempt(['dev'])).toBe(false);
    expect(masker.isExempt(['sre-breakglass'])).toBe(false);
  });

  it('masks nothing for a member of exemptGroups, and everything for anyone else', () => {
    const config = maskingConfig({ exemptGroups: ['sre-breakglass'] });
    const exempt = maskerFor(config, ['dev', 'sre-breakglass']);
    const list = deepFreeze(secretList());
    expect(exempt.exempt).toBe(true);
    expect(exempt.maskObject(list)).toEqual({ value: list, count: 0 });
    expect(exempt.detectors).toEqual([]);
    const other = maskerFor(config, ['dev']);
    expect(other.exempt).toBe(false);
    expect(findLeaks(JSON.stringify(other.maskObject(list).value))).toEqual([]);
    expect(other.detectors.length).toBeGreaterThan(0);
    // No exemptGroups: nobody is exempt, whatever their groups.
    expect(maskerFor(maskingConfig(), ['sre-breakglass', '']).exempt).toBe(false);
  });

  it('compiles the policy even for an exempt caller, so a bad policy fails for everyone', () => {
    expect(() => maskerFor(maskingConfig({ exemptGroups: ['ops'], detectors: ['credit-card'] }), ['ops'])).toThrow(MaskError);
  });

  it('refuses unknown detectors and bad globs at construction', () => {
    expect(() => createMasker(maskingConfig({ detectors: ['jwt', 'credit-card'] }))).toThrow(MaskError);
    expect(() => createMasker(maskingConfig({ envNamePatterns: ['[abc'] }))).toThrow(expect.objectContaining({ code: 'MASK_CONFIG' }));
  });

  it('turns too-deep nesting and unparseable bodies into typed errors', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => masker.maskObject(deep)).toThrow(expect.objectContaining({ code: 'MASK_TOO_DEEP' }));
    expect(() => maskJsonBody(masker, '{"kind":"Secret","data":')).toThrow(expect.objectContaining({ code: 'MASK_MALFORMED' }));
  });

  it('masks whole bodies, re-serialising even when nothing needs masking', () => {
    const body = Buffer.from(JSON.stringify(createdSecret()));
    const masked = maskJsonBody(masker, body);
    expect(masked.count).toBe(1);
    expect(findLeaks(masked.body)).toEqual([]);
    const plain = '{"kind":"Namespace","apiVersion":"v1",  "metadata":{"name":"a"}}';
    expect(maskJsonBody(masker, plain)).toEqual({ body: '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a"}}', count: 0 });
  });
});

describe('duplicate keys never smuggle a secret past the masker', () => {
  const hidden = Buffer.from('hunter2-duplicate').toString('base64');

  it('maskJsonBody re-serialises instead of passing the original bytes on', () => {
    const body = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"password":"${hidden}"},"data":{}}`;
    const out = maskJsonBody(masker, body);
    expect(out.body).not.toContain(hidden);
    expect(JSON.parse(out.body)).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: {} });
  });

  it('the last-applied annotation is re-serialised too', () => {
    const manifest = `{"kind":"ConfigMap","apiVersion":"v1","data":{"a":"${hidden}"},"data":{"a":"b"}}`;
    const object = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': manifest } } };
    const out = JSON.stringify(masker.maskObject(object).value);
    expect(out).not.toContain(hidden);
  });
});

describe('the fast paths skip work, never masking', () => {
  /** `text` with every character written as a JSON \u escape, so the raw body never spells it. */
  const escaped = (text: string) => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

  it('decodes JSON escapes before the detectors and their trigger look at a string', () => {
    const cases: [string, string][] = [
      [`\\u0041${SECRETS.awsKeyId.slice(1)}`, 'aws-access-key-id'],
      [`${escaped('pass')}word=hunter2-${escaped('x')}`, 'password-assignment'],
      [`Bearer \\u0065${SECRETS.saToken.slice(1)}`, 'jwt'],
      [`\\u002d----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\\n-----END RSA PRIVATE KEY-----`, 'pem-private-key'],
      [escaped(SECRETS.githubToken), 'github-token'],
    ];
    for (const [raw, detector] of cases) {
      const body = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"notes":"${raw}"}}`;
      const out = maskJsonBody(masker, body);
      expect(out.count).toBe(1);
      expect(JSON.parse(out.body).data.notes).toContain(maskMarker(detector));
      expect(findLeaks(out.body)).toEqual([]);
    }
  });

  it('still runs a custom /regex/ detector, which has no trigger, over every string', () => {
    const custom = createMasker(maskingConfig({ detectors: ['aws-access-key-id', '/acme_[0-9a-f]{8}/'] }));
    const { value, count } = custom.maskObject({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: { k: 'key acme_deadbeef' } }, spec: { nodeName: SECRETS.awsKeyId } });
    expect(value).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: { k: `key ${maskMarker('custom')}` } }, spec: { nodeName: maskMarker('aws-access-key-id') } });
    expect(count).toBe(2);
  });

  it('keeps its own copy of the detectors, so the trigger always describes what runs', () => {
    const detectors = [...masker.detectors];
    const own = createMasker(maskingConfig(), { detectors });
    detectors.length = 0;
    expect(own.maskObject({ kind: 'Pod', metadata: { labels: { k: SECRETS.githubToken } } }).count).toBe(1);
    expect(Object.isFrozen(own.detectors)).toBe(true);
  });

  it('matches each name against every glob of a list, first or last, in any case the list allows', () => {
    const globbed = createMasker(maskingConfig({ envNamePatterns: ['*PASSWORD*', 'db_?ser', '[xy]_KEY'], configMapKeys: ['*.pem', 'secret-*'], annotations: ['a.example/*', 'b.example/x'] }));
    const env = [
      { name: 'my_password_file', value: 'v1' },
      { name: 'DB_USER', value: 'v2' },
      { name: 'y_key', value: 'v3' },
      { name: 'z_key', value: 'plain' },
    ];
    const pod = globbed.maskObject({ kind: 'Pod', metadata: { name: 'p', annotations: { 'a.example/one': 'v', 'b.example/x': 'v', 'b.example/y': 'v' } }, spec: { containers: [{ name: 'c', env }] } }).value as Obj;
    expect(pod.spec.containers[0].env.map((e: Obj) => e.value)).toEqual([maskMarker('env'), maskMarker('env'), maskMarker('env'), 'plain']);
    expect(pod.metadata.annotations).toEqual({ 'a.example/one': maskMarker('annotation'), 'b.example/x': maskMarker('annotation'), 'b.example/y': 'v' });
    const cm = globbed.maskObject({ kind: 'ConfigMap', data: { 'SECRET-a': 'v', 'secret-b': 'v', 'c.pem': 'v' }, binaryData: { 'c.pem': b64('x'), 'd.bin': b64('y') } }).value as Obj;
    expect(cm.data).toEqual({ 'SECRET-a': 'v', 'secret-b': maskMarker('configmap'), 'c.pem': maskMarker('configmap') });
    expect(cm.binaryData).toEqual({ 'c.pem': base64Marker('configmap'), 'd.bin': b64('y') });
  });

  it('leaves ConfigMap binaryData and env alone when their glob lists are empty, and still runs detectors', () => {
    const none = createMasker(maskingConfig({ envNamePatterns: [], configMapKeys: [], annotations: [] }));
    const cm = { kind: 'ConfigMap', data: { 'db.password': 'plain', note: `id ${SECRETS.awsKeyId}` }, binaryData: { 'c.pem': b64('x') } };
    expect(none.maskObject(cm).value).toEqual({ ...cm, data: { 'db.password': 'plain', note: `id ${maskMarker('aws-access-key-id')}` } });
    const env = [{ name: 'PASSWORD', value: 'plain' }];
    expect((none.maskObject({ kind: 'Pod', spec: { containers: [{ env }] } }).value as Obj).spec.containers[0].env).toEqual(env);
  });

  it('finds a secret at the end of a very long string', () => {
    const long = `${'log line without secrets; '.repeat(80_000)}password=${SECRETS.dbPassword}`;
    const out = maskJsonBody(masker, JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { log: long } }));
    expect(out.count).toBe(1);
    expect(out.body).not.toContain(SECRETS.dbPassword);
  });

  it('masks a secret under a nested kind or apiVersion of a custom resource, and keeps real type names', () => {
    const widget = {
      kind: 'Widget',
      apiVersion: 'example.com/v1',
      metadata: { name: 'w', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: '1f2e' }] },
      spec: { kind: SECRETS.awsKeyId, apiVersion: `token=${SECRETS.apiToken}`, target: { kind: 'Deployment', apiVersion: 'apps/v1' }, items: [{ kind: SECRETS.githubToken }] },
    };
    const { value, json, count } = mask(widget);
    expect(findLeaks(json)).toEqual([]);
    expect(value.spec.kind).toBe(maskMarker('aws-access-key-id'));
    expect(value.spec.apiVersion).toBe(`token=${maskMarker('password-assignment')}`);
    expect(count).toBe(3);
    // The type names around it are as they were.
    expect(value).toMatchObject({ kind: 'Widget', apiVersion: 'example.com/v1', metadata: widget.metadata, spec: { target: { kind: 'Deployment', apiVersion: 'apps/v1' } } });
  });

  it('masks a marked env value copied into a nested kind of the same object', () => {
    const container = { name: 'c', env: [{ name: 'DB_PASSWORD', value: 'Hunter2Secret9' }] };
    const database = { kind: 'Database', apiVersion: 'db.example.com/v1', metadata: { name: 'd' }, spec: { podTemplate: { spec: { containers: [container] } }, backup: { kind: 'Hunter2Secret9' } } };
    const { value } = mask(database);
    expect(JSON.stringify(value)).not.toContain('Hunter2Secret9');
    expect(value.spec.backup.kind).toBe(maskMarker('env'));
  });

  it('walks kind and apiVersion when they hold anything but a string', () => {
    const { value, count } = mask({ kind: { note: `token=${SECRETS.apiToken}` }, apiVersion: [SECRETS.githubToken], metadata: { name: 'x' } });
    expect(findLeaks(JSON.stringify(value))).toEqual([]);
    expect(count).toBe(2);
  });
});
