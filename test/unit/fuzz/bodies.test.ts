/**
 * Fuzzing the JSON maskers (whole bodies, list streams, watch streams) with hostile Kubernetes
 * responses: random objects around Secrets, ConfigMaps, Pods and TokenRequests, as single
 * objects, lists (items with and without kind, kind before or after the data), Tables and watch
 * events; odd Unicode in keys and values; duplicate keys written into the raw JSON; random cuts of
 * the stream; and broken or over-deep JSON. What is planted where the masker promises to mask
 * (Secret `data` and `stringData`, the last-applied annotation, env values by name, ConfigMap keys
 * by pattern, `status.token`, and detector-shaped secrets in any other value, `kind` and
 * `apiVersion` below the top included) never comes out, and the only error is a MaskError.
 *
 * Two properties follow one object through every response shape (object, list item, watch event,
 * Table row, a Status quoting it, the last-applied annotation): a custom resource whose nested
 * `kind` and `apiVersion` hold detector-shaped secrets or a copy of its own marked env value, and a
 * Secret whose data was copied into its other fields (labels, annotations, finalizers,
 * generateName, owner references, managed fields, type…), as stored or decoded, whole or inside
 * other text, in values shaped to pass the metadata allowlist.
 */
import { createListStreamMasker, createMasker, createWatchStreamMasker, maskAllChunks, maskJsonBody, MaskError } from '../../../src/mask/index.js';
import type { Masker, MaskTarget } from '../../../src/mask/index.js';
import { defaultMasking } from '../../../src/policy/schema/index.js';
import { FUZZ_SEED, Gen, fuzzRuns, hostileJson, leakedValues as leaked, maskedInEveryShape, plantSecret, shapeLeaks, splitRandomly, streamed, BOUNDARIES } from './support.js';

const masker: Masker = createMasker(defaultMasking());
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A character JSON writes as itself (no escape), so a planted value is found verbatim in the output. */
function isPlain(c: string): boolean {
  const code = c.codePointAt(0)!;
  return code >= 0x20 && c !== '"' && c !== '\\' && (code < 0xd800 || code > 0xdfff);
}

/** A body under construction and the values that must not survive masking it. */
class Body {
  readonly secrets = new Set<string>();

  constructor(readonly gen: Gen) {}

  /** A fresh value that only appears where it is planted. */
  fresh(): string {
    const value = `${this.gen.chars(ALNUM, 8)}${[...this.gen.oddText(2)].filter(isPlain).join('')}${this.gen.chars(ALNUM, 8)}`;
    this.secrets.add(value);
    return value;
  }

  /** A string for an ordinary field: odd text, now and then with a detector-shaped secret inside. */
  text(): string {
    if (!this.gen.chance(0.25)) return this.gen.oddText(5);
    const planted = plantSecret(this.gen);
    for (const secret of planted.secrets) this.secrets.add(secret);
    return `${this.gen.oddText(3)}${this.gen.pick(BOUNDARIES)}${planted.text}${this.gen.pick(BOUNDARIES)}${this.gen.oddText(3)}`;
  }

  /** A random JSON value whose strings may hold detector-shaped secrets. */
  value(depth: number): unknown {
    switch (this.gen.int(depth > 0 ? 7 : 4)) {
      case 0:
        return this.text();
      case 1:
        return this.gen.pick([0, -1, 1.5, 1e300, true, false, null]);
      case 2:
        return this.gen.oddText(4);
      case 3:
        return '';
      case 4:
        return Array.from({ length: this.gen.int(4) }, () => this.value(depth - 1));
      default:
        return this.map(depth - 1, () => this.value(depth - 1));
    }
  }

  /** An object with random keys (odd Unicode, Kubernetes words, `kind` and `apiVersion` too) and values from `make`. */
  map(depth: number, make: () => unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = this.gen.int(4); i > 0; i--) out[this.key()] = make();
    return out;
  }

  key(): string {
    return this.gen.pick(['data', 'kind', 'apiVersion', 'spec', 'status', 'value', 'items', 'token', 'env', 'name', this.gen.oddText(3), this.gen.chars(ALNUM, 5)]);
  }

  metadata(): Record<string, unknown> {
    const meta: Record<string, unknown> = { name: this.gen.chars('abcdefghij-', 8), namespace: 'prod', labels: this.map(0, () => this.gen.oddText(3)), annotations: this.map(0, () => this.text()) };
    if (this.gen.chance(0.3)) {
      const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { password: this.fresh() }, data: { k: Buffer.from(this.fresh()).toString('base64') } };
      (meta.annotations as Record<string, unknown>)['kubectl.kubernetes.io/last-applied-configuration'] = `${JSON.stringify(manifest)}\n`;
    }
    return meta;
  }

  secret(withKind: boolean): Record<string, unknown> {
    const data: Record<string, string> = {};
    for (let i = 1 + this.gen.int(4); i > 0; i--) data[this.gen.pick([this.gen.chars(ALNUM, 6), 'tls.key', 'password', this.gen.oddText(2) || 'k'])] = Buffer.from(this.fresh(), 'utf8').toString('base64');
    const secret: Record<string, unknown> = { metadata: this.metadata(), data, type: this.gen.pick(['Opaque', 'kubernetes.io/tls', 'kubernetes.io/service-account-token']) };
    if (this.gen.chance(0.3)) secret.stringData = { [this.gen.chars(ALNUM, 4)]: this.fresh() };
    if (this.gen.chance(0.3)) secret.extra = this.value(2);
    return withKind ? { kind: 'Secret', apiVersion: 'v1', ...secret } : secret;
  }

  configMap(): Record<string, unknown> {
    return {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: this.metadata(),
      data: { [`${this.gen.chars(ALNUM, 3)}${this.gen.pick(['password', '.pem', '.key', 'secret', 'token'])}`]: this.fresh(), [this.gen.chars(ALNUM, 6)]: this.text() },
    };
  }

  pod(): Record<string, unknown> {
    const env = Array.from({ length: 1 + this.gen.int(3) }, () => ({ name: `${this.gen.chars('ABCDEFGH_', 4)}${this.gen.pick(['PASSWORD', 'TOKEN', 'SECRET', 'API_KEY', 'credential'])}${this.gen.chars('ABC_', 2)}`, value: this.fresh() }));
    const container = { name: 'c', image: 'registry.example/app:1', env: [...env, { name: 'PLAIN', value: this.text() }], args: [this.text()] };
    return { kind: 'Pod', apiVersion: 'v1', metadata: this.metadata(), spec: { [this.gen.pick(['containers', 'initContainers', 'ephemeralContainers'])]: [container] }, status: this.value(2) };
  }

  tokenRequest(): Record<string, unknown> {
    return { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { name: 'sa' }, spec: { audiences: ['x'] }, status: { token: this.fresh(), expirationTimestamp: '2025-01-01T00:00:00Z' } };
  }

  object(): Record<string, unknown> {
    switch (this.gen.int(5)) {
      case 0:
        return this.configMap();
      case 1:
        return this.pod();
      case 2:
        return this.tokenRequest();
      case 3:
        return { kind: this.gen.pick(['Widget', 'Event', 'Deployment']), apiVersion: 'example.com/v1', metadata: this.metadata(), spec: this.value(3) };
      default:
        return this.secret(true);
    }
  }
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const SECRETS: MaskTarget = { apiGroup: '', resource: 'secrets' };
const WIDGETS: MaskTarget = { apiGroup: 'example.com', resource: 'widgets' };
type JsonObject = Record<string, unknown>;

/**
 * A fresh value in a shape some allowlisted field keeps in clear (a label value, an object name,
 * a kind, a uid, a timestamp, a resource version) or in none (odd Unicode): a copy that passes the
 * shape check must be caught by the known-value check.
 */
function allowlistShaped(body: Body): string {
  const gen = body.gen;
  const digits = (n: number) => gen.chars('0123456789', n);
  let value: string;
  switch (gen.int(7)) {
    case 0:
      value = gen.chars(ALNUM, 8 + gen.int(40));
      break;
    case 1:
      value = `${gen.chars(LOWER_DIGITS, 4)}${gen.chars(`${LOWER_DIGITS}-.`, gen.int(20))}${gen.chars(LOWER_DIGITS, 4)}`;
      break;
    case 2:
      value = `${gen.chars(UPPER, 1)}${gen.chars(ALNUM, 7 + gen.int(20))}`;
      break;
    case 3:
      value = [8, 4, 4, 4, 12].map((n) => gen.chars(HEX, n)).join('-');
      break;
    case 4:
      value = `2${digits(3)}-0${1 + gen.int(9)}-1${digits(1)}T1${digits(1)}:${gen.int(6)}${digits(1)}:${gen.int(6)}${digits(1)}${gen.pick(['Z', `.${digits(6)}Z`, '+02:00'])}`;
      break;
    case 5:
      value = digits(8 + gen.int(12));
      break;
    default:
      return body.fresh();
  }
  body.secrets.add(value);
  return value;
}

/** `value` written where a copy lands: whole (a JSON-patch copy) or inside other text (a controller). */
function copyOf(gen: Gen, value: string): string {
  if (!gen.chance(0.3)) return value;
  return `${gen.pick(['', 'x-', 'v=', 'id:', gen.oddText(2)])}${value}${gen.pick(['', '-1', '.', ' ', gen.oddText(2)])}`;
}

/** Annotations whose values the allowlist keeps in clear when well-shaped (src/mask/secret-allowlist.ts), and the one it parses. */
const SPECIAL_ANNOTATIONS = ['kubernetes.io/service-account.name', 'kubernetes.io/service-account.uid', 'meta.helm.sh/release-name', 'meta.helm.sh/release-namespace', 'k8s.io/initial-events-end', 'kubectl.kubernetes.io/last-applied-configuration'];

/**
 * Writes `value` into a random field of the Secret other than its data: a field any write can
 * set, or with `identity`, also the identity and type meta only a patched object an error quotes
 * can carry.
 */
function copyInto(gen: Gen, secret: JsonObject, value: string, identity: boolean): void {
  const meta = secret.metadata as JsonObject;
  const into = (field: string): JsonObject => (meta[field] ??= {}) as JsonObject;
  switch (gen.int(identity ? 15 : 12)) {
    case 0:
      into('labels')[gen.pick(['app', 'copy', gen.chars(ALNUM, 4)])] = value;
      break;
    case 1:
      into('annotations')[gen.pick([...SPECIAL_ANNOTATIONS, 'note', gen.oddText(2) || 'a'])] = value;
      break;
    case 2:
      meta.finalizers = [...((meta.finalizers as string[] | undefined) ?? []), gen.chance(0.5) ? value : `example.com/${value}`];
      break;
    case 3:
      meta.generateName = value;
      break;
    case 4: {
      const ref: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '9a8b7c6d-0000-4000-8000-00000000abcd', controller: true };
      ref[gen.pick(['apiVersion', 'kind', 'name', 'uid'])] = value;
      meta.ownerReferences = [ref];
      break;
    }
    case 5: {
      const entry: JsonObject = { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2024-05-06T07:08:09Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:password': {} } } };
      if (gen.chance(0.2)) entry.fieldsV1 = { 'f:metadata': { 'f:labels': { 'f:copy': value } } };
      else entry[gen.pick(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'subresource'])] = value;
      meta.managedFields = [entry];
      break;
    }
    case 6:
      secret.type = value;
      break;
    case 7:
      secret.immutable = value;
      break;
    case 8:
      ((secret.stringData ??= {}) as JsonObject)[gen.chars(ALNUM, 4)] = value;
      break;
    case 9:
      secret[gen.pick(['extra', 'spec', gen.oddText(2) || 'x'])] = gen.chance(0.5) ? value : { a: [value] };
      break;
    case 10:
      // Not a string: the apiserver refuses to decode it, and its 422 quotes the patched object.
      (secret.data as JsonObject)[`copy-${gen.chars(ALNUM, 4)}`] = gen.chance(0.5) ? value : gen.pick([{ a: value }, [value], { a: [{ b: value }] }]);
      break;
    case 11:
      meta[gen.pick(['clusterName', gen.oddText(2) || 'y'])] = value;
      break;
    case 12:
      meta[gen.pick(['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'selfLink'])] = value;
      break;
    default:
      secret[gen.pick(['kind', 'apiVersion'])] = value;
  }
}

/**
 * A Secret whose data values (fresh, in shapes the allowlist would keep) were copied into its
 * other fields, as stored (base64, what a JSON-patch `copy` moves) or decoded; the object a 422
 * Status would quote after a patch, with copies in its identity too; and its Table row's cells.
 */
function secretWithCopies(body: Body): { secret: JsonObject; quoted: JsonObject; cells: unknown[] } {
  const gen = body.gen;
  const data: Record<string, string> = {};
  /** Each data value's forms: as stored, and decoded when it is text. */
  const forms = new Map<string, string[]>();
  for (let i = 1 + gen.int(3); i > 0; i--) {
    const key = `${gen.pick(['password', 'token', 'tls.key', gen.chars(ALNUM, 6), gen.oddText(2)])}${i}`;
    if (gen.chance(0.15)) {
      const stored = Buffer.from(Array.from({ length: 6 + gen.int(30) }, () => gen.int(256))).toString('base64');
      body.secrets.add(stored);
      data[key] = stored;
      forms.set(key, [stored]);
    } else {
      const value = allowlistShaped(body);
      data[key] = Buffer.from(value).toString('base64');
      forms.set(key, [data[key], value]);
    }
  }
  const copy = () => copyOf(gen, gen.pick(gen.pick([...forms.values()])));
  const secret: JsonObject = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'db-credentials', namespace: 'prod', uid: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', resourceVersion: '48213', creationTimestamp: '2024-05-06T07:08:09Z', labels: { app: 'db' } },
    data,
    type: gen.pick(['Opaque', 'kubernetes.io/tls', 'kubernetes.io/service-account-token']),
  };
  for (let i = 1 + gen.int(5); i > 0; i--) copyInto(gen, secret, copy(), false);
  const quoted = structuredClone(secret);
  for (let i = gen.int(3); i > 0; i--) copyInto(gen, quoted, copy(), true);
  const cells = ['db-credentials', secret.type, Object.keys(data).length, gen.pick(['5m', '3d4h', '<unknown>'])];
  return { secret, quoted, cells };
}

/**
 * A custom resource whose spec nests objects with `kind` and `apiVersion` members holding
 * detector-shaped secrets (bare, which a shape check alone would pass as `AKIA…`, or inside other
 * text) or a copy of the resource's own marked env value, next to real type names; its Table row
 * prints one nested `kind` (a printer column) with the name.
 */
function customResource(body: Body): { obj: JsonObject; cells: unknown[] } {
  const gen = body.gen;
  const envValue = allowlistShaped(body);
  const printed: string[] = [];
  const typeMeta = (): string => {
    switch (gen.int(4)) {
      case 0:
      case 1: {
        const planted = plantSecret(gen);
        for (const secret of planted.secrets) body.secrets.add(secret);
        const text = gen.chance(0.5) ? planted.text : `${gen.oddText(3)}${gen.pick(BOUNDARIES)}${planted.text}${gen.pick(BOUNDARIES)}${gen.oddText(3)}`;
        printed.push(text);
        return text;
      }
      case 2:
        return copyOf(gen, envValue);
      default:
        return gen.pick(['Deployment', 'apps/v1', 'v1', 'Secret', 'batch/v1', 'example.com/v1alpha1']);
    }
  };
  const nested = (depth: number): JsonObject => {
    const out: JsonObject = {};
    if (gen.chance(0.7)) out.kind = typeMeta();
    if (gen.chance(0.7)) out.apiVersion = typeMeta();
    if (gen.chance(0.3)) out.name = gen.oddText(3);
    if (depth > 0 && gen.chance(0.7)) out[gen.pick(['spec', 'target', 'ref', 'template', gen.oddText(2)])] = gen.chance(0.3) ? [nested(depth - 1)] : nested(depth - 1);
    return out;
  };
  const container = { name: 'c', image: 'registry.example/app:1', env: [{ name: gen.pick(['DB_PASSWORD', 'API_TOKEN', 'client_secret']), value: envValue }] };
  const spec = { ...nested(3), podTemplate: { spec: { containers: [container] } } };
  const obj = { kind: gen.pick(['Widget', 'Database', 'Workflow']), apiVersion: gen.pick(['example.com/v1', 'db.example.com/v1alpha1']), metadata: body.metadata(), spec };
  return { obj, cells: [(obj.metadata as JsonObject).name, printed.length > 0 ? gen.pick(printed) : '<none>'] };
}

/** A whole response body of a random shape, as text, with duplicate keys written into it now and then. */
function responseBody(body: Body): { text: string; listKind?: string } {
  const gen = body.gen;
  let value: unknown;
  let listKind: string | undefined;
  switch (gen.int(4)) {
    case 0:
      value = body.object();
      break;
    case 1:
      listKind = 'SecretList';
      value = { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: Array.from({ length: gen.int(4) }, () => body.secret(false)) };
      break;
    case 2:
      listKind = 'List';
      value = { kind: 'List', apiVersion: 'v1', metadata: {}, items: Array.from({ length: gen.int(4) }, () => body.object()) };
      break;
    default:
      value = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: [], rows: Array.from({ length: gen.int(3) }, () => ({ cells: [body.text()], object: body.object() })) };
  }
  return { text: hostileJson(gen, value), ...(listKind ? { listKind } : {}) };
}

describe(`fuzz: JSON body maskers (seed ${FUZZ_SEED})`, () => {
  it(`never let planted values through a whole body (${fuzzRuns(400)} bodies)`, () => {
    const gen = new Gen(FUZZ_SEED + 10);
    for (let run = 0; run < fuzzRuns(400); run++) {
      const body = new Body(gen);
      const { text, listKind } = responseBody(body);
      const out = maskJsonBody(masker, text, listKind ? { listKind } : undefined).body;
      expect({ run, leaks: leaked(out, body.secrets) }).toEqual({ run, leaks: [] });
    }
  });

  it(`never let planted values through a list stream cut at random (${fuzzRuns(300)} lists)`, () => {
    const gen = new Gen(FUZZ_SEED + 11);
    for (let run = 0; run < fuzzRuns(300); run++) {
      const body = new Body(gen);
      const { text } = responseBody(body);
      const out = streamed(splitRandomly(gen, Buffer.from(text), 1 + gen.int(200)), createListStreamMasker(masker));
      if (out instanceof MaskError) continue;
      expect({ run, leaks: leaked(out, body.secrets) }).toEqual({ run, leaks: [] });
    }
  });

  it(`never let planted values through a watch stream cut at random (${fuzzRuns(300)} streams)`, () => {
    const gen = new Gen(FUZZ_SEED + 12);
    for (let run = 0; run < fuzzRuns(300); run++) {
      const body = new Body(gen);
      const events = Array.from({ length: 1 + gen.int(4) }, () => `${hostileJson(gen, { type: gen.pick(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']), object: body.object() }, true)}\n`).join('');
      const out = streamed(splitRandomly(gen, Buffer.from(events), 1 + gen.int(300)), createWatchStreamMasker(masker));
      if (out instanceof MaskError) continue;
      expect({ run, leaks: leaked(out, body.secrets) }).toEqual({ run, leaks: [] });
    }
  });

  it(`refuse broken, cut, over-deep and binary bodies with a MaskError only (${fuzzRuns(60)} bodies)`, () => {
    const gen = new Gen(FUZZ_SEED + 13);
    const check = (run: number, mask: () => unknown): void => {
      try {
        mask();
      } catch (error) {
        if (!(error instanceof MaskError)) throw new Error(`run ${run}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    };
    for (let run = 0; run < fuzzRuns(60); run++) {
      const body = new Body(gen);
      const { text } = responseBody(body);
      const bytes = Buffer.from(text);
      const variants = [
        bytes.subarray(0, gen.int(bytes.length + 1)),
        Buffer.from(bytes.map((b) => (gen.chance(0.01) ? gen.int(256) : b))),
        Buffer.from(`${'['.repeat(1000 + gen.int(9000))}1`),
        Buffer.from(`{"kind":"Secret","data":${'{"a":'.repeat(1000 + gen.int(9000))}"x"`),
        Buffer.from(Array.from({ length: gen.int(300) }, () => gen.int(256))),
      ];
      for (const variant of variants) {
        check(run, () => maskJsonBody(masker, variant));
        check(run, () => maskAllChunks(splitRandomly(gen, variant, 1 + gen.int(64)), createListStreamMasker(masker)));
        check(run, () => maskAllChunks(splitRandomly(gen, variant, 1 + gen.int(64)), createWatchStreamMasker(masker)));
      }
    }
  });

  it(`mask a secret under a nested kind or apiVersion in every response shape (${fuzzRuns(120)} custom resources)`, () => {
    const gen = new Gen(FUZZ_SEED + 14);
    let refused = 0;
    for (let run = 0; run < fuzzRuns(120); run++) {
      const body = new Body(gen);
      const { obj, cells } = customResource(body);
      const responses = maskedInEveryShape(gen, masker, obj, { target: WIDGETS, cells });
      refused += responses.filter((r) => r.out instanceof MaskError).length;
      expect({ run, leaks: shapeLeaks(responses, body.secrets) }).toEqual({ run, leaks: [] });
    }
    // Streams refuse only a duplicated top-level kind, items or rows: most cases are checked.
    expect(refused).toBeLessThan(fuzzRuns(120) / 2);
  });

  it(`never show Secret data copied into the Secret's other fields, in any response shape (${fuzzRuns(150)} Secrets)`, () => {
    const gen = new Gen(FUZZ_SEED + 15);
    let refused = 0;
    for (let run = 0; run < fuzzRuns(150); run++) {
      const body = new Body(gen);
      const { secret, quoted, cells } = secretWithCopies(body);
      const responses = maskedInEveryShape(gen, masker, secret, { target: SECRETS, cells, quoted });
      refused += responses.filter((r) => r.out instanceof MaskError).length;
      expect({ run, leaks: shapeLeaks(responses, body.secrets) }).toEqual({ run, leaks: [] });
    }
    expect(refused).toBeLessThan(fuzzRuns(150) / 2);
  });
});
