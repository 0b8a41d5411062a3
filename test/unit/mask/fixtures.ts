/**
 * Realistic Kubernetes responses with planted secrets, shaped like what kube-apiserver returns
 * (list items without kind, Tables as kubectl requests them, watch events one per line), and a
 * leak check that looks for every planted value in the forms it could appear in.
 */
import type { MaskingConfig } from '../../../src/policy/types.js';
import { defaultMasking } from '../../../src/policy/schema/index.js';

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function jwt(payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'k1' })}.${part(payload)}.${Buffer.from('not-a-real-signature-but-long-enough').toString('base64url')}`;
}

const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo',
  '-----END RSA PRIVATE KEY-----',
  '',
].join('\n');

/** Every value a test plants; none may survive masking in any form. */
export const SECRETS = {
  dbPassword: 'Sup3r-Secr3t-Pa55word!',
  apiToken: 'tok_live_9f8e7d6c5b4a3210',
  tlsKey: PEM,
  saToken: jwt({ iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:prod:app', exp: 1893456000 }),
  appliedPlaintext: 'hunter2-plaintext-xyz',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  envToken: 'env-token-value-0001',
  githubToken: `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`,
  configPassword: 'cm-pass-value-77',
  requestedToken: jwt({ iss: 'https://kubernetes.default.svc', sub: 'system:serviceaccount:ci:deployer', aud: ['kgate'] }),
} as const;

/** The forms a value can take in a response: raw, base64 (both alphabets), JSON-escaped once and twice. */
export function leakForms(secret: string): string[] {
  const once = JSON.stringify(secret).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  const forms = [secret, b64(secret), Buffer.from(secret).toString('base64url'), once, twice];
  // A PEM body line is a secret on its own, wherever the block went.
  for (const line of secret.split('\n')) if (line.length > 40 && !line.startsWith('-----')) forms.push(line);
  return [...new Set(forms)];
}

/** Planted values found in `output`, as `name:form` strings; empty when nothing leaked. */
export function findLeaks(output: string, secrets: Record<string, string> = SECRETS): string[] {
  const leaks: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of leakForms(secret)) if (output.includes(form)) leaks.push(`${name}:${form.slice(0, 12)}…`);
  }
  return leaks;
}

export function maskingConfig(overrides: Partial<MaskingConfig> = {}): MaskingConfig {
  return { ...defaultMasking(), ...overrides };
}

function meta(name: string, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    namespace,
    uid: `0b6a3f1e-${name.length.toString(16).padStart(4, '0')}-4c1d-9e2f-5a6b7c8d9e0f`,
    resourceVersion: '48213',
    creationTimestamp: '2025-03-01T10:00:00Z',
    managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2025-03-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:password': {} }, 'f:type': {} } }],
    ...extra,
  };
}

/** `kubectl apply` of a Secret written with plaintext stringData: the annotation keeps the plaintext. */
export const appliedSecretManifest = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { annotations: {}, name: 'db-credentials', namespace: 'prod' },
  stringData: { password: SECRETS.appliedPlaintext, username: 'app' },
  type: 'Opaque',
};

export function secretItem(name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: meta(name, 'prod'),
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    type: 'Opaque',
    ...extra,
  };
}

/** `kubectl get secrets -A -o json`: a v1 List as kubectl prints it is the apiserver's SecretList with items lacking kind. */
export function secretList(): Record<string, unknown> {
  const applied = secretItem('db-credentials', { password: SECRETS.appliedPlaintext, username: 'app' });
  (applied.metadata as Record<string, unknown>).annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(appliedSecretManifest)}\n`,
  };
  return {
    kind: 'SecretList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '48300' },
    items: [
      secretItem('app-config', { DB_PASSWORD: SECRETS.dbPassword, API_TOKEN: SECRETS.apiToken }),
      secretItem('tls', { 'tls.key': SECRETS.tlsKey, 'tls.crt': 'certificate-is-public' }, { type: 'kubernetes.io/tls', immutable: true }),
      secretItem('default-token-x7k2p', { token: SECRETS.saToken, namespace: 'prod' }, { type: 'kubernetes.io/service-account-token' }),
      applied,
      { metadata: meta('empty', 'prod'), type: 'Opaque' },
    ],
  };
}

/** `kubectl get secret,configmap -o json` style mixed `List` whose items carry kind. */
export function mixedList(): Record<string, unknown> {
  return {
    kind: 'List',
    apiVersion: 'v1',
    metadata: { resourceVersion: '' },
    items: [
      { kind: 'Secret', apiVersion: 'v1', ...secretItem('mixed', { password: SECRETS.dbPassword }) },
      configMap(),
    ],
  };
}

export function configMap(): Record<string, unknown> {
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: meta('app-settings', 'prod'),
    data: {
      'db.password': SECRETS.configPassword,
      'server.key': SECRETS.tlsKey,
      'app.properties': `region=eu-west-1\naws_secret_access_key=${SECRETS.awsSecret}\nlog.level=info\n`,
      'feature-flags': 'a=1,b=2',
    },
    binaryData: { 'client.pem': b64('binary-cert-bytes'), 'logo.png': b64('not-a-secret-logo') },
  };
}

/** Default `kubectl get secrets` Table: PartialObjectMetadata rows carrying full ObjectMeta. */
export function secretTable(includeObject: 'Metadata' | 'Object'): Record<string, unknown> {
  const list = secretList();
  const items = list.items as Record<string, unknown>[];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '48300' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'Type', type: 'string', format: '', description: 'Type of the secret', priority: 0 },
      { name: 'Data', type: 'string', format: '', description: 'Number of items in the secret', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp', priority: 0 },
    ],
    rows: items.map((item) => ({
      cells: [(item.metadata as { name: string }).name, item.type, Object.keys((item.data as object) ?? {}).length, '5m'],
      object:
        includeObject === 'Object'
          ? { kind: 'Secret', apiVersion: 'v1', ...item }
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
    })),
  };
}

/** `as=PartialObjectMetadataList`: metadata only, but the last-applied annotation comes along. */
export function partialObjectMetadataList(): Record<string, unknown> {
  const items = secretList().items as Record<string, unknown>[];
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '48300' },
    items: items.map((item) => ({ metadata: item.metadata })),
  };
}

export function deployment(): Record<string, unknown> {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: meta('api', 'prod', { labels: { app: 'api' }, generation: 3 }),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          initContainers: [{ name: 'migrate', image: 'migrate:1', env: [{ name: 'db_password', value: SECRETS.dbPassword }] }],
          containers: [
            {
              name: 'api',
              image: 'registry.example.com/api:1.4.2',
              args: ['--listen=:8080', `--github-token=${SECRETS.githubToken}`],
              env: [
                { name: 'LOG_LEVEL', value: 'debug' },
                { name: 'SERVICE_TOKEN', value: SECRETS.envToken },
                { name: 'AWS_ACCESS_KEY_ID', value: SECRETS.awsKeyId },
                { name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'db', key: 'host' } } },
              ],
            },
          ],
        },
      },
    },
    status: { replicas: 2, readyReplicas: 2 },
  };
}

export function cronJob(): Record<string, unknown> {
  return {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    metadata: meta('backup', 'prod'),
    spec: {
      schedule: '0 3 * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'backup', image: 'backup:2', env: [{ name: 'PGPASSWORD', value: SECRETS.dbPassword }] }] } } } },
    },
  };
}

export function tokenRequestResponse(): Record<string, unknown> {
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: 'deployer', namespace: 'ci', creationTimestamp: null },
    spec: { audiences: ['kgate'], expirationSeconds: 600, boundObjectRef: null },
    status: { token: SECRETS.requestedToken, expirationTimestamp: '2025-03-01T10:10:00Z' },
  };
}

/** Create / patch responses return the object (a Secret); delete returns the object or a Status. */
export function createdSecret(): Record<string, unknown> {
  return { kind: 'Secret', apiVersion: 'v1', ...secretItem('created', { password: SECRETS.dbPassword }) };
}

export function deleteStatus(): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'created', kind: 'secrets', uid: '0b6a3f1e' } };
}

/** A watch stream as kubectl -w sees it: one JSON event per line. */
export function watchEvents(): Record<string, unknown>[] {
  const secret = (name: string, value: string) => ({ kind: 'Secret', apiVersion: 'v1', ...secretItem(name, { password: value }) });
  return [
    { type: 'ADDED', object: secret('w1', SECRETS.dbPassword) },
    { type: 'MODIFIED', object: secret('w1', SECRETS.apiToken) },
    { type: 'BOOKMARK', object: { kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: '48400', annotations: { 'k8s.io/initial-events-end': 'true' } } } },
    { type: 'DELETED', object: secret('w1', SECRETS.apiToken) },
    { type: 'ADDED', object: { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '48401' }, rows: (secretTable('Object').rows as unknown[]).slice(0, 2) } },
    { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (48213)', reason: 'Expired', code: 410 } },
  ];
}

export function watchStream(): string {
  return watchEvents()
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');
}

/** A deterministic PRNG (mulberry32) so property tests are reproducible by seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `bytes` at random points (1..max bytes per chunk). */
export function randomChunks(bytes: Uint8Array, random: () => number, max = 64): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const size = 1 + Math.floor(random() * max);
    chunks.push(bytes.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
