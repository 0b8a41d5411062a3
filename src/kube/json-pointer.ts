/**
 * JSON pointers (RFC 6901) in JSON patches, read the way the apiserver's JSON-patch library reads
 * them (evanphx/json-patch v4 `findObject` and `decodePatchKey`), so that what kgate decides
 * about a pointer is what the apiserver will do with it:
 * - the text before the first `/` is ignored, not refused (`x/data/password` is `/data/password`);
 * - each token is unescaped in one pass, `~1` to `/` and `~0` to `~` (`~01` is `~1`, not `/`);
 * - array indices are whatever Go's `strconv.Atoi` accepts (`+0`, `-1` for the last element), so
 *   a token is never assumed not to be an index.
 */

const ESCAPE = /~[01]/g;

/** Unescapes one reference token: `~1` → `/`, `~0` → `~`, left to right in one pass. */
export function unescapePointerToken(token: string): string {
  return token.replace(ESCAPE, (e) => (e === '~1' ? '/' : '~'));
}

/** Escapes one reference token for a pointer: `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The reference tokens the apiserver resolves `pointer` to: `[]` for the whole document (`""`),
 * or undefined when the pointer has no `/` at all (the apiserver resolves nothing for it and
 * fails the operation).
 */
export function pointerTokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  const slash = pointer.indexOf('/');
  if (slash < 0) return undefined;
  return pointer.slice(slash + 1).split('/').map(unescapePointerToken);
}

/** Whether `pointer` is written as RFC 6901 says: empty, or starting with `/`. */
export function isStrictPointer(pointer: string): boolean {
  return pointer === '' || pointer.startsWith('/');
}
