/**
 * Fuzzing the JSON maskers (whole bodies, list streams, watch streams) with hostile Kubernetes
 * responses: random objects around Secrets, ConfigMaps, Pods and TokenRequests, as single
 * objects, lists (items with and without kind, kind before or after the data), Tables and watch
 * events; odd Unicode in keys and values; duplicate keys written into the raw JSON; random cuts of
 * the stream; and broken or over-deep JSON. What is planted where the masker promises to mask
 * (Secret `data` and `stringData`, the last-applied annotation, env values by name, ConfigMap keys
 * by pattern, `status.token`, and detector-shaped secrets in any other value) never comes out,
 * and the only error is a MaskError.
 *
 * Secret data copied into the Secret's other fields (labels, annotations, finalizers, type…) is
 * the metadata allowlist's job, landing separately: its property is a `test.todo` below, to be
 * enabled with it.
 */
import { createListStreamMasker, createMasker, createWatchStreamMasker, maskAllChunks, maskJsonBody, MaskError } from '../../../src/mask/index.js';
import type { ChunkMasker, Masker } from '../../../src/mask/index.js';
import { defaultMasking } from '../../../src/policy/schema/index.js';
import { FUZZ_SEED, Gen, fuzzRuns, plantSecret, splitRandomly, BOUNDARIES } from './support.js';

const masker: Masker = createMasker(defaultMasking());
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A character JSON writes as itself (no escape), so a planted value is found verbatim in the output. */
function isPlain(c: string): boolean {
  const code = c.codePointAt(0)!;
  return code >= 0x20 && c !== '"' && c !== '\\' && (code < 0xd800 || code > 0xdfff);
}

/** Keys whose values the masker's detectors skip as identifiers, at any depth (src/mask/object-masker.ts). */
const UNSCANNED_KEYS = new Set(['kind', 'apiVersion']);

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

  /**
   * An object with random keys (odd Unicode, Kubernetes words) and values from `make`. The masker
   * leaves identifiers unscanned by design (`kind` and `apiVersion` anywhere, `metadata.name` and
   * the like), so those keys get ordinary text.
   */
  map(depth: number, make: () => unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = this.gen.int(4); i > 0; i--) {
      const key = this.key();
      out[key] = UNSCANNED_KEYS.has(key) ? this.gen.oddText(3) : make();
    }
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

/**
 * JSON of `value` with hostile but valid spellings: members in random order (kind after data),
 * and duplicate keys whose earlier copy is a decoy the parser drops (the masker must mask what the
 * client will see: the last copy).
 */
function hostileJson(gen: Gen, value: unknown, oneLine = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => hostileJson(gen, v, oneLine)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value);
  if (gen.chance(0.5)) entries.reverse();
  const members = entries.map(([k, v]) => `${JSON.stringify(k)}:${hostileJson(gen, v, oneLine)}`);
  if (gen.chance(0.2) && entries.length > 0) {
    const [k] = gen.pick(entries);
    members.unshift(`${JSON.stringify(k)}:${JSON.stringify(gen.pick([{}, [], 'decoy', 0, null]))}`);
  }
  return `{${members.join(gen.pick([',', oneLine ? ' , ' : ' ,\n ']))}}`;
}

/** Every form a planted value could leak in: raw, base64 (both alphabets) and JSON-escaped. */
function leaked(output: string, secrets: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), JSON.stringify(secret).slice(1, -1)];
    const form = forms.find((f) => f.length >= 8 && output.includes(f));
    if (form !== undefined) {
      const at = output.indexOf(form);
      found.push(`${secret.slice(0, 12)}… in …${output.slice(Math.max(0, at - 80), at + form.length + 20)}…`);
    }
  }
  return found;
}

/** Runs `masker` over `chunks`; a MaskError is an acceptable refusal, anything else fails. */
function streamed(chunks: Uint8Array[], stream: ChunkMasker): string | MaskError {
  try {
    return maskAllChunks(chunks, stream).toString('utf8');
  } catch (error) {
    if (error instanceof MaskError) return error;
    throw error;
  }
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

  test.todo('a detector-shaped secret under a nested `kind` or `apiVersion` key (a custom resource field, not the object\'s own kind) is masked: the masker skips those keys at any depth today');
  test.todo('Secret data copied into any other field of the Secret (labels, annotations, finalizers, generateName, type…) never comes out: needs the metadata allowlist (issue 11, Deliver 1)');
});
