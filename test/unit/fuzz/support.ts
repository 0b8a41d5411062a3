/**
 * What the fuzz suites share: a seeded generator, the run counts, and secrets of every shape the
 * detectors know, fresh each time and planted between boundaries the detectors honour.
 *
 * Runs are bounded so `npm test` stays quick; more come from the environment, and a failure names
 * its seed so it can be replayed:
 *
 *   KGATE_FUZZ_SEED=123 KGATE_FUZZ_RUNS=20000 node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit test/unit/fuzz
 */
import { goQuote } from '../../../src/kube/status.js';
import { createListStreamMasker, createWatchStreamMasker, LAST_APPLIED_ANNOTATION, maskAllChunks, maskerForTarget, maskJsonBody, MaskError } from '../../../src/mask/index.js';
import type { ChunkMasker, Masker, MaskTarget } from '../../../src/mask/index.js';
import { rng } from '../mask/fixtures.js';

/** The seed of this run: KGATE_FUZZ_SEED, or a fixed default so plain `npm test` repeats itself. */
export const FUZZ_SEED = Number(process.env.KGATE_FUZZ_SEED ?? 20_251_106);

/** Cases per property: KGATE_FUZZ_RUNS when set, else the property's own bounded default. */
export function fuzzRuns(bounded: number): number {
  const runs = Number(process.env.KGATE_FUZZ_RUNS);
  return Number.isInteger(runs) && runs > 0 ? runs : bounded;
}

/** A seeded source of random choices. */
export class Gen {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = rng(seed);
  }

  /** 0 ≤ n < `below`. */
  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `length` characters drawn from `alphabet`. */
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)]!;
    return out;
  }

  /** Text with odd Unicode: astral characters, lone surrogates, line and paragraph separators, bidi controls, joiners, NUL. */
  oddText(maxPieces: number): string {
    let out = '';
    for (let i = this.int(maxPieces + 1); i > 0; i--) out += this.pick(ODD_PIECES);
    return out;
  }
}

const ODD_PIECES = [
  'a', 'Z', '0', ' ', '\n', '\r\n', '\t', '"', "'", '\\', '/', '.', '-', '_', '=', ':', '{', '}', '[', ']', ',',
  'é', 'ß', 'İ', '日本', '😀', '👩‍👩‍👧', '\ud800', '\udfff', '\u2028', '\u2029', '\u0085', '\u202e', '\u200d', '\ufeff', '\u0000', '\u007f', '\u00a0',
  'password', 'token', 'ey', 'AKIA', '-----BEGIN ', '***MASKED:',
];

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const BASE64URL = `${ALNUM}_-`;

/** One planted secret: the text to plant, and the parts of it that must never be seen again. */
export interface Planted {
  kind: string;
  /** What goes into the text (for an assignment, the key and the value). */
  text: string;
  /** Substrings that must not appear in any output: the secret, and pieces long enough to identify it. */
  secrets: string[];
}

function jwt(gen: Gen): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: gen.pick(['RS256', 'HS256', 'ES384']), typ: 'JWT', kid: gen.chars(ALNUM, 6) })}.${part({ sub: gen.chars(ALNUM, 12), n: gen.int(1e9) })}.${gen.chars(BASE64URL, 43)}`;
}

function pem(gen: Gen): { text: string; lines: string[] } {
  const label = gen.pick(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
  const lines = Array.from({ length: 1 + gen.int(4) }, () => gen.chars(`${ALNUM}+/`, 64));
  return { text: `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`, lines };
}

/** A fresh secret of a shape some built-in detector knows. */
export function plantSecret(gen: Gen): Planted {
  switch (gen.int(7)) {
    case 0: {
      const token = jwt(gen);
      return { kind: 'jwt', text: token, secrets: [token, token.split('.')[1]!, token.split('.')[2]!] };
    }
    case 1: {
      const body = gen.chars(UPPER_DIGITS, 16);
      return { kind: 'aws-access-key-id', text: `${gen.pick(['AKIA', 'ASIA'])}${body}`, secrets: [body] };
    }
    case 2: {
      const value = gen.chars(`${ALNUM}/+`, 40);
      const key = gen.pick(['aws_secret_access_key', 'AWS_SECRET_ACCESS_KEY', 'secret-key', 'SecretAccessKey']);
      return { kind: 'aws-secret-access-key', text: `${key}${gen.pick(['=', ': ', ' = ', '="'])}${value}`, secrets: [value] };
    }
    case 3: {
      const block = pem(gen);
      return { kind: 'pem-private-key', text: block.text, secrets: block.lines };
    }
    case 4: {
      const token = `${gen.pick(['ghp_', 'gho_', 'ghs_'])}${gen.chars(ALNUM, 36)}`;
      return { kind: 'github-token', text: token, secrets: [token.slice(4)] };
    }
    case 5: {
      const token = `xoxb-${gen.chars('0123456789', 12)}-${gen.chars(ALNUM, 24)}`;
      return { kind: 'slack-token', text: token, secrets: [token.slice(5)] };
    }
    default: {
      const value = `${gen.chars(ALNUM, 1)}${gen.chars(`${ALNUM}!@#$%^*()_+-=./~`, 11 + gen.int(20))}`;
      const key = gen.pick(['password', 'PASSWORD', 'db_password', 'passwd', 'api_key', 'apiKey', 'secret', 'token', 'AUTH_TOKEN']);
      const [open, close] = gen.pick([['', ''], ['"', '"'], ["'", "'"]]);
      return { kind: 'password-assignment', text: `${key}${gen.pick(['=', ': ', ' = ', ':'])}${open}${value}${close}`, secrets: [value] };
    }
  }
}

/** Characters no detector reads as part of a secret on either side, so a planted secret is found whole. */
export const BOUNDARIES = [' ', '\n', '\r\n', '\t', ' (', ') ', ' <', '> ', ', ', '; ', ' | '];

/** Random text with planted secrets, each between boundaries; returns the text and what was planted. */
export function textWithSecrets(gen: Gen, pieces: number): { text: string; planted: Planted[] } {
  const planted: Planted[] = [];
  let text = '';
  for (let i = 0; i < pieces; i++) {
    if (gen.chance(0.3)) {
      const secret = plantSecret(gen);
      planted.push(secret);
      text += `${gen.pick(BOUNDARIES)}${secret.text}${gen.pick(BOUNDARIES)}`;
    } else text += gen.oddText(6);
  }
  return { text, planted };
}

/** The planted secrets `output` still shows, as `kind: secret…`; empty when none leaked. */
export function leaks(output: string, planted: readonly Planted[]): string[] {
  const found: string[] = [];
  for (const p of planted) {
    for (const secret of p.secrets) {
      const at = output.indexOf(secret);
      if (at >= 0) found.push(`${p.kind}: ${secret.slice(0, 10)}… in …${output.slice(Math.max(0, at - 80), at + secret.length + 20)}…`);
    }
  }
  return found;
}

/** Splits `bytes` at random points into chunks of 1..`max` bytes. */
export function splitRandomly(gen: Gen, bytes: Uint8Array, max: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const size = 1 + gen.int(max);
    chunks.push(bytes.subarray(i, i + size));
    i += size;
  }
  return chunks;
}

/**
 * JSON of `value` with hostile but valid spellings: members in random order (kind after data),
 * and duplicate keys whose earlier copy the parser drops: a decoy, or another member's value, so
 * what the masker returns must be what the client will see (the last copy), never the raw text.
 */
export function hostileJson(gen: Gen, value: unknown, oneLine = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => hostileJson(gen, v, oneLine)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (gen.chance(0.5)) entries.reverse();
  const members = entries.map(([k, v]) => `${JSON.stringify(k)}:${hostileJson(gen, v, oneLine)}`);
  if (gen.chance(0.2) && entries.length > 0) {
    const [k] = gen.pick(entries);
    const dropped = gen.chance(0.5) ? gen.pick(entries)[1] : gen.pick([{}, [], 'decoy', 0, null]);
    members.unshift(`${JSON.stringify(k)}:${JSON.stringify(dropped)}`);
  }
  return `{${members.join(gen.pick([',', oneLine ? ' , ' : ' ,\n ']))}}`;
}

/**
 * The planted values `output` still shows, in any form they could take there: raw, base64 (both
 * alphabets), JSON-escaped, and Go-quoted inside a JSON string (an error Status quoting an object).
 */
export function leakedValues(output: string, secrets: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), escaped, JSON.stringify(goQuote(secret).slice(1, -1)).slice(1, -1)];
    const form = forms.find((f) => f.length >= 8 && output.includes(f));
    if (form !== undefined) {
      const at = output.indexOf(form);
      found.push(`${secret.slice(0, 12)}… in …${output.slice(Math.max(0, at - 80), at + form.length + 20)}…`);
    }
  }
  return found;
}

/** Runs a chunk masker over `chunks`; a MaskError is an acceptable refusal, anything else fails. */
export function streamed(chunks: Uint8Array[], stream: ChunkMasker): string | MaskError {
  try {
    return maskAllChunks(chunks, stream).toString('utf8');
  } catch (error) {
    if (error instanceof MaskError) return error;
    throw error;
  }
}

/** One response shape an object came back in, masked: the text, or the MaskError a stream refused it with. */
export interface ShapedResponse {
  shape: string;
  out: string | MaskError;
}

type JsonObject = Record<string, unknown>;

/** What {@link maskedInEveryShape} needs besides the object. */
export interface ShapeOptions {
  /** The request's resource, as the broker scopes its masker (maskerForTarget). */
  target: MaskTarget;
  /** The cells of the object's Table row. */
  cells: unknown[];
  /** The object a 422 Status quotes (a patched object the apiserver could not decode); `obj` by default. */
  quoted?: JsonObject;
}

/**
 * `obj` in every shape the apiserver can return it, each masked as the broker masks it (whole
 * bodies with `maskJsonBody`, lists and Tables also through the list stream masker and watch
 * events through the watch stream masker, cut at random): the object itself (also with no
 * target); an item of its list, without kind; a watch event; a Table row with `cells` and the
 * object embedded; a 422 Status quoting it as the apiserver quotes a patched object it cannot
 * decode; and the last-applied annotation of another object of its kind. Every body is written by
 * {@link hostileJson}.
 */
export function maskedInEveryShape(gen: Gen, masker: Masker, obj: JsonObject, opts: ShapeOptions): ShapedResponse[] {
  const scoped = maskerForTarget(masker, opts.target);
  const kind = String(obj.kind);
  const cut = (text: string) => splitRandomly(gen, Buffer.from(text), 1 + gen.int(200));
  const { kind: _kind, apiVersion: _apiVersion, ...item } = obj;
  const list = hostileJson(gen, { kind: `${kind}List`, apiVersion: obj.apiVersion, metadata: { resourceVersion: '7' }, items: [item] });
  const event = `${hostileJson(gen, { type: gen.pick(['ADDED', 'MODIFIED', 'DELETED']), object: obj }, true)}\n`;
  const table = hostileJson(gen, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '7' }, columnDefinitions: [{ name: 'Name', type: 'string' }], rows: [{ cells: opts.cells, object: obj }] });
  const invalid = `Invalid value: ${goQuote(JSON.stringify(opts.quoted ?? obj))}: strict decoding error: unknown field "bogus"`;
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${kind} "x" is invalid: patch: ${invalid}`, reason: 'Invalid', details: { causes: [{ reason: 'FieldValueInvalid', message: invalid, field: 'patch' }] }, code: 422 };
  const carrier = { kind, apiVersion: obj.apiVersion, metadata: { name: 'carrier', annotations: { [LAST_APPLIED_ANNOTATION]: `${hostileJson(gen, obj)}\n` } } };
  return [
    { shape: 'object', out: maskJsonBody(scoped, hostileJson(gen, obj)).body },
    { shape: 'object, no target', out: maskJsonBody(masker, hostileJson(gen, obj)).body },
    { shape: 'list item', out: maskJsonBody(scoped, list).body },
    { shape: 'list item, streamed', out: streamed(cut(list), createListStreamMasker(scoped)) },
    { shape: 'watch event, streamed', out: streamed(cut(event), createWatchStreamMasker(scoped)) },
    { shape: 'Table row', out: maskJsonBody(scoped, table).body },
    { shape: 'Table row, streamed', out: streamed(cut(table), createListStreamMasker(scoped)) },
    { shape: 'Status quoting it', out: maskJsonBody(scoped, hostileJson(gen, status)).body },
    { shape: 'last-applied annotation', out: maskJsonBody(scoped, hostileJson(gen, carrier)).body },
  ];
}

/** The shapes of `responses` that show a planted value, with what they show; empty when none does. */
export function shapeLeaks(responses: readonly ShapedResponse[], secrets: ReadonlySet<string>): string[] {
  return responses.flatMap(({ shape, out }) => (out instanceof MaskError ? [] : leakedValues(out, secrets).map((leak) => `${shape}: ${leak}`)));
}
