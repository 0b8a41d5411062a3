import { tryParseDuration } from '../duration.js';
import { badRequest } from './errors.js';

/** Longest a long-poll is held. */
export const MAX_WAIT_MS = 60_000;

/** `?wait=30s&revision=N`: wait until the revision exceeds N, at most `wait`. */
export interface WaitRequest {
  waitMs: number;
  revision: number;
}

/** Parses the long-poll query; undefined when `wait` is absent. */
export function waitRequest(query: URLSearchParams): WaitRequest | undefined {
  const wait = query.get('wait');
  if (wait === null) return undefined;
  const waitMs = tryParseDuration(wait);
  if (waitMs === undefined || waitMs > MAX_WAIT_MS) throw badRequest(`wait: expected a duration of at most 60s, like 30s, got ${JSON.stringify(wait)}`, 'invalid_query');
  const revisionText = query.get('revision') ?? '0';
  if (!/^\d{1,15}$/.test(revisionText)) throw badRequest(`revision: expected a whole number, got ${JSON.stringify(revisionText)}`, 'invalid_query');
  return { waitMs, revision: Number(revisionText) };
}

/** Refuses query parameters a route does not know, like unknown body fields. */
export function checkQuery(query: URLSearchParams, allowed: readonly string[]): void {
  for (const key of query.keys()) {
    if (!allowed.includes(key)) throw badRequest(`Unknown query parameter ${JSON.stringify(key)}; allowed: ${allowed.join(', ') || '(none)'}`, 'invalid_query');
  }
}
