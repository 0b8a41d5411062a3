/**
 * Regex detectors for secrets in free text: string values inside Kubernetes objects, pod logs and
 * exec output. Each detector masks only the secret part of a match (the key of `password=…` stays)
 * and knows how long a match can be and where an unfinished one may start, which is what lets the
 * text-stream masker catch a secret split across chunks (src/mask/text-stream.ts).
 *
 * Patterns use explicit ASCII whitespace (`[ \t\r\n]`) instead of `\s` so they behave the same on
 * JavaScript strings and on byte strings (latin1) where a UTF-8 continuation byte 0xA0 would
 * otherwise count as a space.
 */
import { MaskError } from './errors.js';
import { isMarked, maskMarker } from './marker.js';

/** A compiled secret detector. */
export interface Detector {
  /** Policy name (`jwt`, `password-assignment`, … or `custom` for a `/regex/` entry). */
  readonly name: string;
  /**
   * Global regular expression, linear by construction (bounded repeats, no nested or overlapping
   * quantifiers). When `keepsPrefix`, group 1 is kept and the first defined later group is the
   * secret; otherwise the whole match is the secret. Unused when `scan` is set.
   */
  readonly pattern: RegExp;
  /**
   * A hand scanner used instead of `pattern` where no linear regex can say it (a PEM body ends at
   * the first END line): returns each secret region in order, in time linear in `text`.
   */
  readonly scan?: (text: string) => Array<{ start: number; end: number }>;
  readonly keepsPrefix: boolean;
  /** Cheap pre-check: when it does not match, `pattern` cannot either. */
  readonly trigger?: RegExp;
  /** Longest text (prefix + secret + context) one match can span. */
  readonly maxLength: number;
  /** Extra check on a candidate secret (e.g. a JWT header must decode to JSON with `alg`). */
  readonly validate?: (secret: string) => boolean;
  /**
   * The earliest index in `text` where a secret that more text could still complete may begin, or
   * -1. Text before that index can be released by a streaming masker.
   */
  readonly pendingStart: (text: string) => number;
}

/** One masked region of a text: `[start, end)` and the detector that found it. */
export interface SecretSpan {
  start: number;
  end: number;
  detector: string;
}

/** The result of masking a text. */
export interface MaskedText {
  text: string;
  count: number;
}

/** Caps that bound every built-in match, so streaming windows stay bounded. */
const MAX_PEM_BODY = 16 * 1024;
const MAX_JWT_HEADER = 2048;
const MAX_JWT_PAYLOAD = 12 * 1024;
const MAX_JWT_SIGNATURE = 2048;
const MAX_JWT = MAX_JWT_HEADER + MAX_JWT_PAYLOAD + MAX_JWT_SIGNATURE + 2;
const MAX_ASSIGNED_VALUE = 1024;
/** Custom `/regex/` detectors have no known shape; matches longer than this may be missed across chunks. */
const CUSTOM_MAX_LENGTH = 4096;

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** `(?:a|ab|abc)` for every non-empty proper prefix of each literal. */
function properPrefixes(literals: readonly string[]): string {
  const prefixes = new Set<string>();
  for (const literal of literals) for (let i = 1; i < literal.length; i++) prefixes.add(escapeRegex(literal.slice(0, i)));
  return [...prefixes].join('|');
}

/**
 * A pending-start function for tokens made of a literal prefix and a body: at the end of the text,
 * a proper prefix of a literal, or a literal followed by up to `maxBody` body characters.
 */
function tokenPending(literals: readonly string[], body: string, maxBody: number, boundary: string): (text: string) => number {
  const alternatives = `${properPrefixes(literals)}|(?:${literals.map(escapeRegex).join('|')})${body}{0,${maxBody}}`;
  const longest = Math.max(...literals.map((l) => l.length)) + maxBody;
  return regexPending(new RegExp(`(?<!${boundary})(?:${alternatives})$`), longest + 1);
}

/**
 * Scans only the tail a pending match could occupy (`tail`: the detector's longest match, plus
 * one character for a look-behind), so the cost per call is bounded by the match, not the window:
 * a `$`-anchored pattern is tried at every start in the tail.
 */
function regexPending(partial: RegExp, tail: number): (text: string) => number {
  return (text) => {
    const from = Math.max(0, text.length - tail);
    const m = partial.exec(from === 0 ? text : text.slice(from));
    if (!m) return -1;
    return from + m.index + (m[1]?.length ?? 0);
  };
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** `[A-Za-z0-9_-]`: a base64url character, as JWT parts are made of. */
function isJwtChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f || c === 0x2d;
}

/**
 * Where an unfinished JWT may start: an `e` at the very end, or `ew`/`ey` followed only by token
 * characters and dots up to the end. One backward pass over the trailing run (bounded by the
 * longest JWT), instead of a `$`-anchored regex that rescans the run from every dot.
 */
function jwtPending(text: string): number {
  const stop = Math.max(0, text.length - MAX_JWT - 2);
  let runStart = text.length;
  while (runStart > stop && (text.charCodeAt(runStart - 1) === 0x2e || isJwtChar(text.charCodeAt(runStart - 1)))) runStart--;
  const boundaryBefore = (p: number) => p === 0 || !isJwtChar(text.charCodeAt(p - 1));
  for (let p = runStart; p < text.length - 1; p++) {
    if (text[p] === 'e' && (text[p + 1] === 'w' || text[p + 1] === 'y') && boundaryBefore(p)) return p;
  }
  const last = text.length - 1;
  return last >= 0 && text[last] === 'e' && boundaryBefore(last) ? last : -1;
}

/** Text that could be the start of a private key block, still waiting for its END line. */
function pemPending(text: string): number {
  const begin = text.lastIndexOf('-----BEGIN');
  if (begin >= 0) {
    const rest = text.slice(begin);
    if (/^-----BEGIN [A-Z0-9 ]{0,40}$/.test(rest)) return begin;
    if (PEM_HEADER.test(rest) && !PEM_END.test(rest)) return begin;
  }
  const dashes = /-{1,5}(?:B(?:E(?:G(?:I)?)?)?)?$/.exec(text.slice(-10));
  return dashes ? text.length - dashes[0].length : -1;
}

const PEM_HEADER = /^-----BEGIN [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_LABEL = /^[A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?$/;

/** The longest label PEM_LABEL accepts. */
const MAX_PEM_LABEL = 32 + 'PRIVATE KEY BLOCK'.length;
/** `[A-Z0-9 ]`: a PEM label character. */
function isPemLabelChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x20;
}

/** `[A-Za-z0-9+/=\r\n\t :,\\-]`: a character of a PEM body whose END line is missing (base64, line breaks, `Proc-Type:` headers). */
function isPemRunChar(c: number): boolean {
  return isAlnum(c) || c === 0x2b || c === 0x2f || c === 0x3d || c === 0x0d || c === 0x0a || c === 0x09 || c === 0x20 || c === 0x3a || c === 0x2c || c === 0x5c || c === 0x2d;
}

/**
 * The end of the `-----<word> <label>-----` line starting at `at` when its label is a private
 * key's, else -1. Label characters exclude `-`, so the label is the run up to the next `-----`;
 * the run is bounded, so each check is.
 */
function pemLineEnd(text: string, at: number, word: string): number {
  if (!text.startsWith(word, at)) return -1;
  const labelStart = at + word.length;
  let i = labelStart;
  while (i < text.length && i - labelStart <= MAX_PEM_LABEL && isPemLabelChar(text.charCodeAt(i))) i++;
  if (i - labelStart > MAX_PEM_LABEL || !text.startsWith('-----', i) || !PEM_LABEL.test(text.slice(labelStart, i))) return -1;
  return i + 5;
}

/**
 * The private-key bodies in `text`, as the regex
 * `(BEGIN line)([\s\S]{1,N}?(?=END line)|[base64 run]{1,N})` would find them, but linear: END
 * lines are found once, in order, and each BEGIN takes the first one after it within reach; with
 * none, the body is the run of base64-like characters after the header.
 */
function scanPem(text: string): Array<{ start: number; end: number }> {
  const found: Array<{ start: number; end: number }> = [];
  let endSearch = 0;
  let nextEnd = -1;
  const firstEndFrom = (from: number): number => {
    if (nextEnd >= from) return nextEnd;
    for (let at = text.indexOf('-----END ', Math.max(from, endSearch)); at >= 0; at = text.indexOf('-----END ', at + 1)) {
      endSearch = at + 1;
      if (pemLineEnd(text, at, '-----END ') >= 0) return (nextEnd = at);
    }
    endSearch = text.length;
    return (nextEnd = -1);
  };
  let from = 0;
  while (from < text.length) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) break;
    const header = pemLineEnd(text, begin, '-----BEGIN ');
    if (header < 0) {
      from = begin + 1;
      continue;
    }
    const end = firstEndFrom(header + 1);
    let bodyEnd = end >= 0 && end - header <= MAX_PEM_BODY ? end : -1;
    if (bodyEnd < 0) {
      bodyEnd = header;
      while (bodyEnd < text.length && bodyEnd - header < MAX_PEM_BODY && isPemRunChar(text.charCodeAt(bodyEnd))) bodyEnd++;
      if (bodyEnd === header) {
        from = begin + 1;
        continue;
      }
    }
    found.push({ start: header, end: bodyEnd });
    from = bodyEnd;
  }
  return found;
}

/** A trailing run of non-whitespace: the only place an unknown-shaped match could still grow. */
function trailingRunPending(maxLength: number): (text: string) => number {
  return (text) => {
    let i = text.length;
    const stop = Math.max(0, text.length - maxLength);
    while (i > stop) {
      const c = text.charCodeAt(i - 1);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
      i--;
    }
    return i === text.length ? -1 : i;
  };
}

function jwtHeaderHasAlg(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null && typeof (decoded as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

const ASSIGNMENT_KEY = String.raw`(?:pass(?:word|wd|phrase)|secret|token|api[_-]?key)[A-Za-z0-9_.-]{0,40}`;
const ASSIGNMENT_SEPARATOR = String.raw`\\?["']?[ \t]{0,16}[:=][ \t]{0,16}`;
const UNQUOTED_VALUE_START = String.raw`[^ \t\r\n"'\\&;,<>{}\[\]]`;
const UNQUOTED_VALUE = String.raw`[^ \t\r\n"'&;,<>{}\[\]]`;

const AWS_KEY_ID_LITERALS = ['AKIA', 'ASIA', 'ABIA', 'ACCA'];
const AWS_SECRET_KEY = String.raw`secret[_.-]?(?:access)?[_.-]?key`;
const GITHUB_LITERALS = ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'];
const SLACK_LITERALS = ['xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxs-', 'xoxr-'];

/** The built-in detectors, by the names policy files use (src/policy/schema/masking.ts). */
const BUILTIN: Record<string, () => Detector> = {
  'aws-access-key-id': () => ({
    name: 'aws-access-key-id',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    keepsPrefix: false,
    trigger: /AKIA|ASIA|ABIA|ACCA/,
    maxLength: 22,
    pendingStart: tokenPending(AWS_KEY_ID_LITERALS, '[A-Z0-9]', 16, '[A-Za-z0-9]'),
  }),
  'aws-secret-access-key': () => ({
    name: 'aws-secret-access-key',
    pattern: new RegExp(String.raw`((?:aws)?[_.-]?${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'gi'),
    keepsPrefix: true,
    trigger: new RegExp(`${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}`, 'i'),
    maxLength: 120,
    pendingStart: regexPending(new RegExp(String.raw`(${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}["']?)[A-Za-z0-9/+]{0,40}$`, 'i'), 121),
  }),
  jwt: () => ({
    name: 'jwt',
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_-])e[wy][A-Za-z0-9_-]{8,${MAX_JWT_HEADER}}\.[A-Za-z0-9_-]{4,${MAX_JWT_PAYLOAD}}\.[A-Za-z0-9_-]{0,${MAX_JWT_SIGNATURE}}`, 'g'),
    keepsPrefix: false,
    trigger: /e[wy][A-Za-z0-9_-]{8}/,
    maxLength: MAX_JWT,
    validate: jwtHeaderHasAlg,
    pendingStart: jwtPending,
  }),
  'pem-private-key': () => ({
    name: 'pem-private-key',
    pattern: new RegExp(
      String.raw`(-----BEGIN [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----)` +
        String.raw`([\s\S]{1,${MAX_PEM_BODY}}?(?=-----END [A-Z0-9 ]{0,32}PRIVATE KEY(?: BLOCK)?-----)|[A-Za-z0-9+/=\r\n\t :,\\-]{1,${MAX_PEM_BODY}})`,
      'g',
    ),
    scan: scanPem,
    keepsPrefix: true,
    trigger: /-----BEGIN [A-Z0-9 ]{0,32}PRIVATE KEY/,
    maxLength: MAX_PEM_BODY + 128,
    pendingStart: pemPending,
  }),
  'github-token': () => ({
    name: 'github-token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})/g,
    keepsPrefix: false,
    trigger: /gh[pousr]_|github_pat_/,
    maxLength: 256,
    pendingStart: tokenPending(GITHUB_LITERALS, '[A-Za-z0-9_]', 251, '[A-Za-z0-9_]'),
  }),
  'slack-token': () => ({
    name: 'slack-token',
    pattern: /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,250}/g,
    keepsPrefix: false,
    trigger: /xox[abposr]-/,
    maxLength: 256,
    pendingStart: tokenPending(SLACK_LITERALS, '[A-Za-z0-9-]', 250, '[A-Za-z0-9_-]'),
  }),
  'password-assignment': () => ({
    name: 'password-assignment',
    pattern: new RegExp(
      String.raw`(${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR})` +
        String.raw`(?:\\"((?:[^"\\\r\n]|\\[^"\r\n]){1,${MAX_ASSIGNED_VALUE}})\\"` +
        String.raw`|"((?:[^"\\\r\n]|\\.){1,${MAX_ASSIGNED_VALUE}})"` +
        String.raw`|'([^'\r\n]{1,${MAX_ASSIGNED_VALUE}})'` +
        String.raw`|(${UNQUOTED_VALUE_START}${UNQUOTED_VALUE}{0,${MAX_ASSIGNED_VALUE - 1}}))`,
      'gi',
    ),
    keepsPrefix: true,
    // The key with its separator: a bare word (a `secretKeyRef`, a `/var/run/secrets` path) is no assignment.
    trigger: new RegExp(`${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR}`, 'i'),
    maxLength: 100 + MAX_ASSIGNED_VALUE,
    // Each character of an open quoted value has one reading (an escape takes the next character,
    // a lone backslash only at the end), so a failed `$` never backtracks through the ways to split.
    pendingStart: regexPending(
      new RegExp(String.raw`(${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR})(?:\\?"(?:[^"\\\r\n]|\\[^\r\n]){0,${MAX_ASSIGNED_VALUE}}\\?|'[^'\r\n]{0,${MAX_ASSIGNED_VALUE}}|${UNQUOTED_VALUE}{0,${MAX_ASSIGNED_VALUE}})$`, 'i'),
      100 + MAX_ASSIGNED_VALUE + 1,
    ),
  }),
};

/** Names of the built-in detectors. */
export const DETECTOR_NAMES: readonly string[] = Object.keys(BUILTIN);

const CUSTOM_ENTRY = /^\/(.+)\/([imsu]*)$/s;

/** A detector for a policy `/regex/flags` entry: the whole match is the secret. */
function customDetector(entry: string): Detector {
  const m = CUSTOM_ENTRY.exec(entry)!;
  let pattern: RegExp;
  try {
    pattern = new RegExp(m[1]!, `${m[2]!}g`);
  } catch (error) {
    throw new MaskError('MASK_CONFIG', `custom detector ${entry} is not a valid regular expression`, { cause: error });
  }
  return { name: 'custom', pattern, keepsPrefix: false, maxLength: CUSTOM_MAX_LENGTH, pendingStart: trailingRunPending(CUSTOM_MAX_LENGTH) };
}

/**
 * Compiles the detectors a policy names (`MaskingConfig.detectors`): built-in names and `/regex/`
 * entries. Each call returns fresh RegExp objects, so maskers never share `lastIndex` state.
 * @throws MaskError `MASK_CONFIG` for an unknown name or an invalid custom regex.
 */
export function compileDetectors(names: readonly string[]): Detector[] {
  return names.map((name) => {
    const builtin = BUILTIN[name];
    if (builtin) return builtin();
    if (CUSTOM_ENTRY.test(name)) return customDetector(name);
    throw new MaskError('MASK_CONFIG', `unknown masking detector ${JSON.stringify(name)}; known: ${DETECTOR_NAMES.join(', ')}`);
  });
}

/**
 * One regex that matches wherever any of `detectors`' triggers does, so a text it does not match
 * can skip every detector at the cost of a single scan. It ignores case when any trigger does:
 * that matches a superset (an `akia…` goes on to the detectors, which reject it), never less, and
 * needs no `(?i:…)` group, which Node 22 lacks. Undefined when some detector has no trigger (a
 * custom `/regex/`) or a flag the union cannot carry: then every text must go through the detectors.
 */
export function detectorTrigger(detectors: readonly Detector[]): RegExp | undefined {
  const sources: string[] = [];
  let ignoreCase = false;
  for (const { trigger } of detectors) {
    if (trigger === undefined || !/^[gi]*$/.test(trigger.flags)) return undefined;
    sources.push(`(?:${trigger.source})`);
    ignoreCase ||= trigger.ignoreCase;
  }
  return sources.length === 0 ? undefined : new RegExp(sources.join('|'), ignoreCase ? 'i' : '');
}

/** The span one match masks, or undefined when the match is not a secret (already masked, invalid). */
function spanOf(detector: Detector, m: RegExpExecArray): SecretSpan | undefined {
  let secret = m[0];
  let start = m.index;
  if (detector.keepsPrefix) {
    const prefix = m[1] ?? '';
    let value: string | undefined;
    for (let g = 2; g < m.length && value === undefined; g++) value = m[g];
    if (value === undefined) return undefined;
    start = m.index + m[0].indexOf(value, prefix.length);
    secret = value;
  }
  if (secret.length === 0 || isMarked(secret)) return undefined;
  if (detector.validate && !detector.validate(secret)) return undefined;
  return { start, end: start + secret.length, detector: detector.name };
}

/** Appends every span `detector` finds in `text`. */
function collectSpans(text: string, detector: Detector, into: SecretSpan[]): void {
  if (detector.trigger && !detector.trigger.test(text)) return;
  if (detector.scan) {
    for (const { start, end } of detector.scan(text)) {
      const secret = text.slice(start, end);
      if (isMarked(secret) || (detector.validate && !detector.validate(secret))) continue;
      into.push({ start, end, detector: detector.name });
    }
    return;
  }
  const pattern = detector.pattern;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    const span = spanOf(detector, m);
    if (span) into.push(span);
  }
}

/**
 * Every secret region in `text`, sorted and merged: overlapping findings of different detectors
 * become one span named after the earliest.
 */
export function findSecretSpans(text: string, detectors: readonly Detector[]): SecretSpan[] {
  const spans: SecretSpan[] = [];
  for (const detector of detectors) collectSpans(text, detector, spans);
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: SecretSpan[] = [spans[0]!];
  for (let i = 1; i < spans.length; i++) {
    const span = spans[i]!;
    const last = merged[merged.length - 1]!;
    if (span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push(span);
  }
  return merged;
}

/** Replaces each span of `text` with its detector's marker. */
export function replaceSpans(text: string, spans: readonly SecretSpan[]): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + maskMarker(span.detector);
    at = span.end;
  }
  return out + text.slice(at);
}

/**
 * Masks every secret the detectors find in `text`, keeping everything around it (the key of an
 * assignment, PEM BEGIN/END lines). Each secret becomes `***MASKED:<detector>***`.
 */
export function maskText(text: string, detectors: readonly Detector[]): MaskedText {
  const spans = findSecretSpans(text, detectors);
  if (spans.length === 0) return { text, count: 0 };
  return { text: replaceSpans(text, spans), count: spans.length };
}

/** The longest text any of `detectors` can match: the streaming window. */
export function maxDetectorLength(detectors: readonly Detector[]): number {
  return detectors.reduce((max, d) => Math.max(max, d.maxLength), 0);
}
