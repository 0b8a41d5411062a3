/**
 * The one glob dialect of policy files (namespaces, names, exec commands, claim values, masking
 * name patterns): `*` any run of characters (including `/` and spaces), `?` one character,
 * `[abc]`, `[a-z]` and `[!abc]` one character from (or not from) a set, `\` takes the next
 * character literally. Everything else is literal, and a pattern matches the whole text.
 */

/** Thrown for a pattern that cannot compile, e.g. an unclosed `[`. */
export class GlobSyntaxError extends Error {
  override name = 'GlobSyntaxError';
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
const SET_SPECIAL = /[\\\][^-]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

function escapeInSet(text: string): string {
  return text.replace(SET_SPECIAL, '\\$&');
}

/** Compiles a `[...]` set starting at `start` (the `[`); returns the regex class and the index after `]`. */
function compileSet(pattern: string, start: number): { source: string; next: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '!') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  while (i < pattern.length && (pattern[i] !== ']' || first)) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      body += escapeInSet(pattern[i + 1]!);
      i += 2;
    } else if (ch === '-' && !first && i + 1 < pattern.length && pattern[i + 1] !== ']') {
      body += '-';
      i++;
    } else {
      body += escapeInSet(ch);
      i++;
    }
    first = false;
  }
  if (i >= pattern.length) throw new GlobSyntaxError(`unclosed "[" at position ${start + 1} in glob ${JSON.stringify(pattern)}`);
  try {
    new RegExp(`[${body}]`, 'u');
  } catch {
    throw new GlobSyntaxError(`bad character range in glob ${JSON.stringify(pattern)}`);
  }
  return { source: `[${negate ? '^' : ''}${body}]`, next: i + 1 };
}

/** Compiles a glob to an anchored regular expression. @throws GlobSyntaxError */
export function compileGlob(pattern: string, opts: { ignoreCase?: boolean } = {}): RegExp {
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '*') {
      source += '.*';
      while (pattern[i] === '*') i++;
      continue;
    }
    if (ch === '?') source += '.';
    else if (ch === '[') {
      const set = compileSet(pattern, i);
      source += set.source;
      i = set.next;
      continue;
    } else if (ch === '\\') {
      if (i + 1 >= pattern.length) throw new GlobSyntaxError(`trailing "\\" in glob ${JSON.stringify(pattern)}`);
      source += escapeRegex(pattern[i + 1]!);
      i += 2;
      continue;
    } else source += escapeRegex(ch);
    i++;
  }
  return new RegExp(`^${source}$`, `su${opts.ignoreCase ? 'i' : ''}`);
}

/** Why a glob does not compile, or undefined when it does. */
export function globProblem(pattern: string): string | undefined {
  try {
    compileGlob(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 4096;

/**
 * Whether `text` matches `pattern`. Patterns come from validated policies, so compiled forms are
 * cached; a pattern that does not compile matches nothing (fail closed for allow-lists is the
 * caller's concern: validation refuses such policies before they get here).
 */
export function globMatch(pattern: string, text: string): boolean {
  let regex = cache.get(pattern);
  if (!regex) {
    try {
      regex = compileGlob(pattern);
    } catch {
      return false;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, regex);
  }
  return regex.test(text);
}

/** Whether `text` matches any of `patterns`. */
export function globMatchAny(patterns: readonly string[], text: string): boolean {
  return patterns.some((p) => globMatch(p, text));
}
