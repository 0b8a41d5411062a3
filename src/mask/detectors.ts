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
import { maskMarker } from './marker.js';
import { compileScanner } from './scanner.js';
import type { SecretScanner } from './scanner.js';

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
  /** Where matches can begin, so a scan tries `pattern` only there (src/mask/scanner.ts). */
  readonly anchor?: DetectorAnchor;
  /** Longest text (prefix + secret + context) one match can span. */
  readonly maxLength: number;
  /**
   * For `keepsPrefix` detectors: the capture groups whose secret may hold the start of another
   * match anywhere in it. A quoted value whose "closing" quote really opens the next assignment
   * (`a="x b="secret"`) holds that assignment's key; after such a match the scan goes on right
   * after the kept prefix, so the next value is found too and the spans merge. Only quoted values:
   * at most one value of each quote covers a character, so the rescans stay linear. (Any other
   * secret is rescanned over its last anchor's reach only; see scanner.ts `scanOnFrom`.)
   */
  readonly reentrantGroups?: readonly number[];
  /**
   * For `keepsPrefix` detectors: an exact equivalent of running `pattern` sticky at `at` that
   * builds no match array (a text of secret after secret makes millions). Fills `match` and
   * returns true where the pattern matches there, false where it does not.
   */
  readonly matchAt?: (text: string, at: number, match: PrefixedMatch) => boolean;
  /**
   * With `matchAt`: the first match that starts at `from` or later, as a global scan of `pattern`
   * from `from` would find it, likewise without match arrays; false when there is none.
   */
  readonly matchNext?: (text: string, from: number, match: PrefixedMatch) => boolean;
  /** Extra check on a candidate secret (e.g. a JWT header must decode to JSON with `alg`). */
  readonly validate?: (secret: string) => boolean;
  /**
   * The earliest index in `text` where a secret that more text could still complete may begin, or
   * -1. Text before that index can be released by a streaming masker.
   */
  readonly pendingStart: (text: string) => number;
}

/**
 * Where a detector's matches can begin. A scanner looks for anchors of every detector at once and
 * runs a detector's `pattern` only at its anchors, sticky, instead of at every position.
 */
export interface DetectorAnchor {
  /**
   * Matches (sticky) at every position a match of `pattern` can start, and at as few others as
   * it cheaply can. Non-global; may ignore case.
   */
  readonly at: RegExp;
  /**
   * Every match of `at` holds exactly one of these characters, as its last, at most `reach`
   * characters after its start (the `:` or `=` of an assignment). Where they are rare, a scan
   * looks for them first and for anchors only within reach before each.
   */
  readonly endsWith?: { readonly chars: string; readonly reach: number };
}

/** Where one match of a `keepsPrefix` detector lies (see `Detector.matchAt`). */
export interface PrefixedMatch {
  /** End of the kept prefix (the key and separator). */
  prefixEnd: number;
  secretStart: number;
  secretEnd: number;
  /** End of the whole match (after a closing quote). */
  end: number;
  /** Whether the secret was in one of the detector's `reentrantGroups`. */
  reentrant: boolean;
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
/** BEGIN line, body and the END line's start: the most text one private key block spans. */
const MAX_PEM_MATCH = MAX_PEM_BODY + 128;
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
 * a `$`-anchored pattern is tried at every start in the tail. `requires`, when given, is a cheap
 * test every pending match passes (an assignment's `:` or `=`): most tails fail it at once.
 */
function regexPending(partial: RegExp, tail: number, requires?: RegExp): (text: string) => number {
  return (text) => {
    const from = Math.max(0, text.length - tail);
    const rest = from === 0 ? text : text.slice(from);
    if (requires && !requires.test(rest)) return -1;
    const m = partial.exec(rest);
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
  for (let p = runStart; p < text.length - 1; p++) {
    if (text.charCodeAt(p) === 0x65 && (text.charCodeAt(p + 1) === 0x77 || text.charCodeAt(p + 1) === 0x79) && jwtBoundaryBefore(text, p)) return p;
  }
  const last = text.length - 1;
  return last >= 0 && text.charCodeAt(last) === 0x65 && jwtBoundaryBefore(text, last) ? last : -1;
}

/** Whether a JWT may start at `p`: no token character right before it. */
function jwtBoundaryBefore(text: string, p: number): boolean {
  return p === 0 || !isJwtChar(text.charCodeAt(p - 1));
}

/**
 * Text that could be the start of a private key block, still waiting for its END line. Only the
 * last BEGIN within one block's reach of the end counts: an older one can no longer be completed.
 */
function pemPending(text: string): number {
  let begin = -1;
  // A regex finds the dashes several times quicker than indexOf in text full of single dashes.
  PEM_BEGIN.lastIndex = Math.max(0, text.length - MAX_PEM_MATCH);
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) begin = m.index;
  if (begin >= 0) {
    const rest = text.slice(begin);
    if (/^-----BEGIN [A-Z0-9 ]{0,40}$/.test(rest)) return begin;
    if (PEM_HEADER.test(rest) && !PEM_END.test(rest)) return begin;
  }
  const dashes = /-{1,5}(?:B(?:E(?:G(?:I)?)?)?)?$/.exec(text.slice(-10));
  return dashes ? text.length - dashes[0].length : -1;
}

/** Used by one synchronous call at a time, so sharing its `lastIndex` is safe. */
const PEM_BEGIN = /-----BEGIN/g;
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

/** Recent JWT headers and whether they hold `alg`: logs repeat the few headers an issuer uses. */
const jwtHeaders = new Map<string, boolean>();
const JWT_HEADER_CACHE = 256;
const JWT_HEADER_CACHED_LENGTH = 512;

function jwtHeaderHasAlg(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  let valid = jwtHeaders.get(header);
  if (valid === undefined) {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      valid = typeof decoded === 'object' && decoded !== null && typeof (decoded as { alg?: unknown }).alg === 'string';
    } catch {
      valid = false;
    }
    if (header.length <= JWT_HEADER_CACHED_LENGTH) {
      if (jwtHeaders.size >= JWT_HEADER_CACHE) jwtHeaders.clear();
      // A copy: the slice would keep the whole text it came from alive.
      jwtHeaders.set(Buffer.from(header, 'latin1').toString('latin1'), valid);
    }
  }
  return valid;
}

const ASSIGNMENT_KEY = String.raw`(?:pass(?:word|wd|phrase)|secret|token|api[_-]?key)[A-Za-z0-9_.-]{0,40}`;
const ASSIGNMENT_SEPARATOR = String.raw`\\?["']?[ \t]{0,16}[:=][ \t]{0,16}`;
/** The key and separator up to its `:` or `=`, as an anchor: the only `:` or `=` it holds is its last character. */
const ASSIGNMENT_ANCHOR_SEPARATOR = String.raw`\\?["']?[ \t]{0,16}[:=]`;
/** The longest anchor of an assignment: `passphrase`, 40 more key characters, `\"`, 16 blanks and the separator. */
const ASSIGNMENT_ANCHOR_REACH = 10 + 40 + 2 + 16 + 1;
const SEPARATOR = /[:=]/;
const UNQUOTED_VALUE_START = String.raw`[^ \t\r\n"'\\&;,<>{}\[\]]`;
const UNQUOTED_VALUE = String.raw`[^ \t\r\n"'&;,<>{}\[\]]`;

/**
 * The password-assignment pattern in parts, sticky: the key and separator, then the value whose
 * first character decides which of the pattern's alternatives can match (`\"`, `"`, `'`, or
 * none). Backtracking into the key cannot help the pattern either: giving back blanks leaves the
 * value starting on a blank, which no alternative takes.
 */
const ASSIGNMENT_PREFIX = new RegExp(`${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR}`, 'iy');
const ASSIGNMENT_PREFIX_ANYWHERE = new RegExp(ASSIGNMENT_PREFIX.source, 'ig');
const ESCAPED_QUOTED_VALUE = new RegExp(String.raw`(?:[^"\\\r\n]|\\[^"\r\n]){1,${MAX_ASSIGNED_VALUE}}\\"`, 'y');
const QUOTED_VALUE = new RegExp(String.raw`(?:[^"\\\r\n]|\\.){1,${MAX_ASSIGNED_VALUE}}"`, 'y');
const SINGLE_QUOTED_VALUE = new RegExp(String.raw`[^'\r\n]{1,${MAX_ASSIGNED_VALUE}}'`, 'y');
const UNQUOTED_ASSIGNED_VALUE = new RegExp(`${UNQUOTED_VALUE_START}${UNQUOTED_VALUE}{0,${MAX_ASSIGNED_VALUE - 1}}`, 'y');

/** `value` sticky at `from`: the end of its match, or -1. */
function stickyEnd(value: RegExp, text: string, from: number): number {
  value.lastIndex = from;
  return value.test(text) ? value.lastIndex : -1;
}

/** The password-assignment pattern at `at`, without a match array (see `Detector.matchAt`). */
function assignmentAt(text: string, at: number, match: PrefixedMatch): boolean {
  const prefixEnd = stickyEnd(ASSIGNMENT_PREFIX, text, at);
  return prefixEnd >= 0 && assignedValue(text, prefixEnd, match);
}

/**
 * The next password assignment from `from` on (see `Detector.matchNext`): key and separator by a
 * global search, then the value. Where no value follows, every key that starts before the
 * separator shares it and fails alike, so the search goes on after it.
 */
function nextAssignment(text: string, from: number, match: PrefixedMatch): boolean {
  ASSIGNMENT_PREFIX_ANYWHERE.lastIndex = from;
  while (ASSIGNMENT_PREFIX_ANYWHERE.test(text)) {
    if (assignedValue(text, ASSIGNMENT_PREFIX_ANYWHERE.lastIndex, match)) return true;
  }
  return false;
}

/** The value after a key and separator ending at `prefixEnd`, as the pattern's alternatives take it. */
function assignedValue(text: string, prefixEnd: number, match: PrefixedMatch): boolean {
  const first = text.charCodeAt(prefixEnd);
  let open = 0;
  let close = 0;
  let end: number;
  if (first === 0x5c) {
    if (text.charCodeAt(prefixEnd + 1) !== 0x22) return false;
    [open, close] = [2, 2];
    end = stickyEnd(ESCAPED_QUOTED_VALUE, text, prefixEnd + 2);
  } else if (first === 0x22) {
    [open, close] = [1, 1];
    end = stickyEnd(QUOTED_VALUE, text, prefixEnd + 1);
  } else if (first === 0x27) {
    [open, close] = [1, 1];
    end = stickyEnd(SINGLE_QUOTED_VALUE, text, prefixEnd + 1);
  } else end = stickyEnd(UNQUOTED_ASSIGNED_VALUE, text, prefixEnd);
  if (end < 0) return false;
  match.prefixEnd = prefixEnd;
  match.secretStart = prefixEnd + open;
  match.secretEnd = end - close;
  match.end = end;
  match.reentrant = open > 0;
  return true;
}

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
    anchor: { at: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)/ },
    maxLength: 22,
    pendingStart: tokenPending(AWS_KEY_ID_LITERALS, '[A-Z0-9]', 16, '[A-Za-z0-9]'),
  }),
  'aws-secret-access-key': () => ({
    name: 'aws-secret-access-key',
    pattern: new RegExp(String.raw`((?:aws)?[_.-]?${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, 'gi'),
    keepsPrefix: true,
    trigger: new RegExp(`${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}`, 'i'),
    // At `secret`: a match that starts at an `aws_` before it masks the same value.
    anchor: { at: new RegExp(`${AWS_SECRET_KEY}${ASSIGNMENT_ANCHOR_SEPARATOR}`, 'i'), endsWith: { chars: ':=', reach: ASSIGNMENT_ANCHOR_REACH } },
    maxLength: 120,
    pendingStart: regexPending(new RegExp(String.raw`(${AWS_SECRET_KEY}${ASSIGNMENT_SEPARATOR}["']?)[A-Za-z0-9/+]{0,40}$`, 'i'), 121, SEPARATOR),
  }),
  jwt: () => ({
    name: 'jwt',
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_-])e[wy][A-Za-z0-9_-]{8,${MAX_JWT_HEADER}}\.[A-Za-z0-9_-]{4,${MAX_JWT_PAYLOAD}}\.[A-Za-z0-9_-]{0,${MAX_JWT_SIGNATURE}}`, 'g'),
    keepsPrefix: false,
    trigger: /e[wy][A-Za-z0-9_-]{8}/,
    anchor: { at: /(?<![A-Za-z0-9_-])e[wy]/ },
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
    maxLength: MAX_PEM_MATCH,
    pendingStart: pemPending,
  }),
  'github-token': () => ({
    name: 'github-token',
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})/g,
    keepsPrefix: false,
    trigger: /gh[pousr]_|github_pat_/,
    anchor: { at: /(?<![A-Za-z0-9_])(?:gh[pousr]_|github_pat_)/ },
    maxLength: 256,
    pendingStart: tokenPending(GITHUB_LITERALS, '[A-Za-z0-9_]', 251, '[A-Za-z0-9_]'),
  }),
  'slack-token': () => ({
    name: 'slack-token',
    pattern: /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,250}/g,
    keepsPrefix: false,
    trigger: /xox[abposr]-/,
    anchor: { at: /(?<![A-Za-z0-9_-])xox[abposr]-/ },
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
    reentrantGroups: [2, 3, 4],
    matchAt: assignmentAt,
    matchNext: nextAssignment,
    // The key with its separator: a bare word (a `secretKeyRef`, a `/var/run/secrets` path) is no assignment.
    trigger: new RegExp(`${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR}`, 'i'),
    anchor: { at: new RegExp(`${ASSIGNMENT_KEY}${ASSIGNMENT_ANCHOR_SEPARATOR}`, 'i'), endsWith: { chars: ':=', reach: ASSIGNMENT_ANCHOR_REACH } },
    maxLength: 100 + MAX_ASSIGNED_VALUE,
    // Each character of an open quoted value has one reading (an escape takes the next character,
    // a lone backslash only at the end), so a failed `$` never backtracks through the ways to split.
    pendingStart: regexPending(
      new RegExp(String.raw`(${ASSIGNMENT_KEY}${ASSIGNMENT_SEPARATOR})(?:\\?"(?:[^"\\\r\n]|\\[^\r\n]){0,${MAX_ASSIGNED_VALUE}}\\?|'[^'\r\n]{0,${MAX_ASSIGNED_VALUE}}|${UNQUOTED_VALUE}{0,${MAX_ASSIGNED_VALUE}})$`, 'i'),
      100 + MAX_ASSIGNED_VALUE + 1,
      SEPARATOR,
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

const scanners = new WeakMap<readonly Detector[], { scanner: SecretScanner; length: number }>();

/** The scanner for a detector list, compiled once per list (maskers keep theirs for their lifetime). */
function scannerFor(detectors: readonly Detector[]): SecretScanner {
  const cached = scanners.get(detectors);
  if (cached && cached.length === detectors.length) return cached.scanner;
  const scanner = compileScanner(detectors);
  scanners.set(detectors, { scanner, length: detectors.length });
  return scanner;
}

/**
 * Every secret region in `text`, sorted and merged: overlapping findings of different detectors
 * become one span named after the earliest. Linear in `text` for the built-in detectors.
 */
export function findSecretSpans(text: string, detectors: readonly Detector[]): SecretSpan[] {
  return scannerFor(detectors).spans(text);
}

/** Markers by detector name: a text dense with secrets needs one string per marker, not one per match. */
const markers = new Map<string, string>();

/** `maskMarker(name)`, shared. */
export function detectorMarker(name: string): string {
  let marker = markers.get(name);
  if (marker === undefined) {
    marker = maskMarker(name);
    if (markers.size < 1024) markers.set(name, marker);
  }
  return marker;
}

/** Replaces each span of `text` with its detector's marker. */
export function replaceSpans(text: string, spans: readonly SecretSpan[]): string {
  // Concatenation builds a rope, flattened once; measured faster than collecting parts to join.
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + detectorMarker(span.detector);
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
