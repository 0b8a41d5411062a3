/**
 * `--from` / `--to` as people write them: an RFC 3339 time (`2026-01-01T00:00:00Z`), or how long
 * ago, in the policy's duration syntax (`30m`, `1h`, `7d`, `1h30m`), which becomes the RFC 3339
 * UTC time that long before now.
 */
import { Flags } from '@oclif/core';
import { isDurationText, tryParseDuration } from '../policy/duration.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * The time `value` names, as RFC 3339: itself when it is one, `now` less the duration when it is
 * a duration.
 * @throws Error naming both accepted forms, for anything else.
 */
export function parseTimeFlag(value: string, now: number): string {
  const ago = tryParseDuration(value);
  if (ago !== undefined && ago <= now) return new Date(now - ago).toISOString();
  if (isDurationText(value)) throw new Error(`${value} ago is before any time kgate can name`);
  if (RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new Error(`expected an RFC 3339 time like 2026-01-01T00:00:00Z, or how long ago like 1h or 7d, got ${JSON.stringify(value)}`);
}

/** A time flag: RFC 3339, or how long ago (see {@link parseTimeFlag}). */
export function timeFlag(summary: string, now: () => number = Date.now) {
  return Flags.custom<string>({ summary: `${summary} RFC 3339, or how long ago (1h, 7d).`, parse: async (input) => parseTimeFlag(input, now()) })();
}
