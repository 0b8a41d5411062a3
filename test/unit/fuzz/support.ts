/**
 * What the fuzz suites share: a seeded generator, the run counts, and secrets of every shape the
 * detectors know, fresh each time and planted between boundaries the detectors honour.
 *
 * Runs are bounded so `npm test` stays quick; more come from the environment, and a failure names
 * its seed so it can be replayed:
 *
 *   KGATE_FUZZ_SEED=123 KGATE_FUZZ_RUNS=20000 node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit test/unit/fuzz
 */
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
