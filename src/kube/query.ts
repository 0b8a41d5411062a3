/**
 * The query string as the Go apiserver reads it (url.ParseQuery): pairs split on `&` only, `+` is a
 * space, escapes are strict, the first value of a key wins for scalar options. Where Go would
 * silently drop a pair (a raw `;`, a bad escape) we refuse instead, so nothing the policy saw can
 * differ from what the apiserver sees.
 */
import { encodeQueryComponent, percentDecode } from './percent.js';

/** Decoded query parameters: every key with all its values, in the order sent. */
export type GoQuery = ReadonlyMap<string, readonly string[]>;

/** One decoded `key=value` pair, in request order. */
export type QueryPair = readonly [key: string, value: string];

/** Keys whose values must be given at most once: Go takes the first, other parsers the last. */
export const SINGLE_VALUED_KEYS: ReadonlySet<string> = new Set([
  'watch', 'fieldSelector', 'labelSelector', 'dryRun', 'container', 'stdin', 'stdout', 'stderr', 'tty', 'follow',
  'propagationPolicy', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'allowWatchBookmarks', 'limit',
  'continue', 'timeoutSeconds', 'includeObject', 'gracePeriodSeconds', 'orphanDependents', 'force', 'fieldManager',
  'fieldValidation', 'previous', 'timestamps', 'tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes', 'stream',
  'insecureSkipTLSVerifyBackend', 'pretty', 'path',
]);

/**
 * Keys that are lists in the API (`PodExecOptions.command`, `PodPortForwardOptions.ports`): repeating
 * them is their wire format, Go keeps every value in order, and so do we.
 */
export const LIST_KEYS: ReadonlySet<string> = new Set(['command', 'ports']);

/** The outcome of parsing a raw query. */
export type QueryParse = { ok: true; pairs: QueryPair[]; query: GoQuery } | { ok: false; reason: string };

/** Parses a raw query (without `?`) with Go semantics, refusing anything Go would drop or read ambiguously. */
export function parseQuery(rawQuery: string): QueryParse {
  const pairs: QueryPair[] = [];
  const query = new Map<string, string[]>();
  if (rawQuery === '') return { ok: true, pairs, query };
  for (const raw of rawQuery.split('&')) {
    if (raw === '') continue;
    if (raw.includes(';')) return { ok: false, reason: 'a query parameter contains a raw ";"' };
    const eq = raw.indexOf('=');
    const key = percentDecode(eq < 0 ? raw : raw.slice(0, eq), true);
    const value = percentDecode(eq < 0 ? '' : raw.slice(eq + 1), true);
    if (key === undefined || value === undefined) return { ok: false, reason: 'a query parameter has a malformed percent-escape' };
    if (key.includes('\0') || value.includes('\0')) return { ok: false, reason: 'a query parameter contains NUL' };
    const values = query.get(key);
    if (values) {
      if (SINGLE_VALUED_KEYS.has(key)) return { ok: false, reason: `the query parameter "${key}" is given more than once` };
      values.push(value);
    } else query.set(key, [value]);
    pairs.push([key, value]);
  }
  return { ok: true, pairs, query };
}

/** Re-serialises decoded pairs; url.ParseQuery of the result gives back the same pairs. */
export function serializeQuery(pairs: readonly QueryPair[]): string {
  return pairs.map(([k, v]) => `${encodeQueryComponent(k)}=${encodeQueryComponent(v)}`).join('&');
}

/** The first value of a key, like Convert_Slice_string_To_string. */
export function firstValue(query: GoQuery, key: string): string | undefined {
  return query.get(key)?.[0];
}

/**
 * Go's Convert_Slice_string_To_bool on the first value: `0` and case-insensitive `false` are false,
 * anything else (even the empty string, so `?watch`) is true; undefined when the key is absent.
 */
export function goBool(query: GoQuery, key: string): boolean | undefined {
  const value = firstValue(query, key);
  if (value === undefined) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}
