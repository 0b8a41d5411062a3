/**
 * The one glob dialect of policy files (namespaces, names, exec commands, claim values, masking
 * name patterns): `*` any run of characters (including `/`, spaces and line breaks), `?` one
 * character, `[abc]`, `[a-z]` and `[!abc]` one character from (or not from) a set, `\` takes the
 * next character literally. Everything else is literal, and a pattern matches the whole text.
 * Characters are Unicode code points, so `?` takes an emoji whole.
 *
 * Globs are matched by hand, not compiled to regular expressions: a `.*` per star backtracks, and
 * a rule like `*rm*-rf*` took seconds on a long command. Here the parts between stars are found
 * leftmost-first, which is exact for globs, so a match costs at most (text length × pattern
 * length) steps and never more, whatever the text.
 */

/** Thrown for a pattern that cannot compile, e.g. an unclosed `[`. */
export class GlobSyntaxError extends Error {
  override name = 'GlobSyntaxError';
}

/** A compiled glob (or list of globs). */
export interface GlobMatcher {
  /** Whether the whole of `text` matches. */
  test(text: string): boolean;
}

/** One character of a pattern: a literal, `?`, or a set. */
type Token = { kind: 'char'; code: number; folded: number } | { kind: 'any' } | { kind: 'set'; negate: boolean; ranges: Array<[number, number]> };

/** The pattern cut at its stars: a part before the first, the parts between, a part after the last. */
interface Parts {
  head: Token[];
  middle: Token[][];
  tail: Token[];
  starred: boolean;
}

/** Case folding for `ignoreCase`: a code point's lower-case form when that is one code point too. */
function fold(code: number): number {
  if (code < 0x80) return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
  const lower = String.fromCodePoint(code).toLowerCase();
  const folded = lower.codePointAt(0)!;
  return lower.length === (folded > 0xffff ? 2 : 1) ? folded : code;
}

function upper(code: number): number {
  if (code < 0x80) return code >= 0x61 && code <= 0x7a ? code - 0x20 : code;
  const up = String.fromCodePoint(code).toUpperCase();
  const first = up.codePointAt(0)!;
  return up.length === (first > 0xffff ? 2 : 1) ? first : code;
}

function codePoints(text: string): number[] {
  const codes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i)!;
    codes.push(code);
    if (code > 0xffff) i++;
  }
  return codes;
}

/** Parses a `[...]` set starting at `start` (the `[`); returns it and the index after `]`. */
function parseSet(pattern: number[], start: number, source: string): { token: Token; next: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === 0x21) {
    negate = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  let first = true;
  while (i < pattern.length && (pattern[i] !== 0x5d || first)) {
    let code = pattern[i]!;
    if (code === 0x5c && i + 1 < pattern.length) code = pattern[++i]!;
    i++;
    first = false;
    // `a-z`: a range, unless the `-` comes last (then it is literal, as at the start).
    if (pattern[i] === 0x2d && i + 1 < pattern.length && pattern[i + 1] !== 0x5d) {
      let to = pattern[i + 1]!;
      i += 2;
      if (to === 0x5c && i < pattern.length) to = pattern[i++]!;
      if (to < code) throw new GlobSyntaxError(`bad character range in glob ${JSON.stringify(source)}`);
      ranges.push([code, to]);
    } else ranges.push([code, code]);
  }
  if (i >= pattern.length) throw new GlobSyntaxError(`unclosed "[" at position ${start + 1} in glob ${JSON.stringify(source)}`);
  return { token: { kind: 'set', negate, ranges }, next: i + 1 };
}

function parse(source: string): Parts {
  const pattern = codePoints(source);
  const pieces: Token[][] = [[]];
  let i = 0;
  while (i < pattern.length) {
    const code = pattern[i]!;
    const current = pieces[pieces.length - 1]!;
    if (code === 0x2a) {
      while (pattern[i] === 0x2a) i++;
      pieces.push([]);
      continue;
    }
    if (code === 0x3f) {
      current.push({ kind: 'any' });
      i++;
    } else if (code === 0x5b) {
      const set = parseSet(pattern, i, source);
      current.push(set.token);
      i = set.next;
    } else if (code === 0x5c) {
      if (i + 1 >= pattern.length) throw new GlobSyntaxError(`trailing "\\" in glob ${JSON.stringify(source)}`);
      current.push({ kind: 'char', code: pattern[i + 1]!, folded: fold(pattern[i + 1]!) });
      i += 2;
    } else {
      current.push({ kind: 'char', code, folded: fold(code) });
      i++;
    }
  }
  if (pieces.length === 1) return { head: pieces[0]!, middle: [], tail: [], starred: false };
  return { head: pieces[0]!, middle: pieces.slice(1, -1), tail: pieces[pieces.length - 1]!, starred: true };
}

function inRanges(ranges: ReadonlyArray<[number, number]>, code: number): boolean {
  for (const [from, to] of ranges) if (code >= from && code <= to) return true;
  return false;
}

function tokenMatches(token: Token, code: number, ignoreCase: boolean): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'char':
      return code === token.code || (ignoreCase && fold(code) === token.folded);
    case 'set': {
      const hit = inRanges(token.ranges, code) || (ignoreCase && (inRanges(token.ranges, fold(code)) || inRanges(token.ranges, upper(code))));
      return hit !== token.negate;
    }
  }
}

/** Whether `part` matches `text` at `at` (the caller checked it fits). */
function partAt(part: readonly Token[], text: readonly number[], at: number, ignoreCase: boolean): boolean {
  for (let k = 0; k < part.length; k++) if (!tokenMatches(part[k]!, text[at + k]!, ignoreCase)) return false;
  return true;
}

/**
 * Whether `text` matches: the head at the start, the tail at the end, and each middle part at
 * its leftmost place after the one before. Taking the leftmost place never loses a match: any
 * match could move that part there and still fit everything after it.
 */
function matchParts(parts: Parts, text: readonly number[], ignoreCase: boolean): boolean {
  const { head, middle, tail } = parts;
  if (!parts.starred) return text.length === head.length && partAt(head, text, 0, ignoreCase);
  const end = text.length - tail.length;
  if (end < head.length || !partAt(head, text, 0, ignoreCase) || !partAt(tail, text, end, ignoreCase)) return false;
  let at = head.length;
  for (const part of middle) {
    let found = -1;
    for (let i = at; i + part.length <= end; i++) {
      if (partAt(part, text, i, ignoreCase)) {
        found = i;
        break;
      }
    }
    if (found < 0) return false;
    at = found + part.length;
  }
  return true;
}

/** Compiles a glob. @throws GlobSyntaxError */
export function compileGlob(pattern: string, opts: { ignoreCase?: boolean } = {}): GlobMatcher {
  const parts = parse(pattern);
  const ignoreCase = opts.ignoreCase === true;
  return { test: (text) => matchParts(parts, codePoints(text), ignoreCase) };
}

/**
 * Compiles a list of globs into one matcher that matches what any of them does, or undefined
 * for an empty list. @throws GlobSyntaxError
 */
export function compileGlobs(patterns: readonly string[], opts: { ignoreCase?: boolean } = {}): GlobMatcher | undefined {
  if (patterns.length === 0) return undefined;
  const all = patterns.map((pattern) => parse(pattern));
  const ignoreCase = opts.ignoreCase === true;
  return {
    test: (text) => {
      const codes = codePoints(text);
      return all.some((parts) => matchParts(parts, codes, ignoreCase));
    },
  };
}

/** Why a glob does not compile, or undefined when it does. */
export function globProblem(pattern: string): string | undefined {
  try {
    parse(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const cache = new Map<string, GlobMatcher>();
const CACHE_LIMIT = 4096;

/**
 * Whether `text` matches `pattern`. Patterns come from validated policies, so compiled forms are
 * cached; a pattern that does not compile matches nothing (fail closed for allow-lists is the
 * caller's concern: validation refuses such policies before they get here).
 */
export function globMatch(pattern: string, text: string): boolean {
  let glob = cache.get(pattern);
  if (!glob) {
    try {
      glob = compileGlob(pattern);
    } catch {
      return false;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, glob);
  }
  return glob.test(text);
}

/** Whether `text` matches any of `patterns`. */
export function globMatchAny(patterns: readonly string[], text: string): boolean {
  return patterns.some((p) => globMatch(p, text));
}
