/**
 * Durations as policy files and flags write them: one or more `<integer><unit>` parts with units
 * `ms`, `s`, `m`, `h`, `d` — `15m`, `1h`, `8h`, `1h30m`. A bare number is refused: `3600` could mean
 * seconds or milliseconds, and a policy should not leave that to guessing.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;
/** More digits than this cannot be a count of milliseconds a double holds exactly. */
const MAX_DIGITS = 16;

/** The message every duration error uses, so files, flags and cases read the same. */
export function durationExpectation(got: unknown): string {
  return `expected a duration like 15m or 1h, got ${JSON.stringify(got)}`;
}

/** Whether `text` is written as a duration (`15m`, `1h30m`), however long it is. */
export function isDurationText(text: string): boolean {
  return WHOLE.test(text);
}

/**
 * Parses `15m`, `1h`, `1h30m`, `90s`, `500ms`, `7d` to milliseconds. Undefined when malformed, and
 * also when well-formed but longer than a safe integer of milliseconds (`99999999999999999d`):
 * such a duration is never rounded or wrapped into a shorter one. A caller that must tell the two
 * apart (a TTL above every maximum) checks {@link isDurationText}.
 */
export function tryParseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    const digits = amount!.replace(/^0+(?=\d)/, '');
    if (digits.length > MAX_DIGITS) return undefined;
    total += Number(digits) * UNIT_MS[unit as keyof typeof UNIT_MS];
    if (!Number.isSafeInteger(total)) return undefined;
  }
  return total;
}

/**
 * Parses a duration (`15m`, `1h`, `8h`, `1h30m`) to milliseconds.
 * @throws RangeError naming what was expected and what was given.
 */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new RangeError(durationExpectation(text));
  return ms;
}

/** Formats milliseconds the way policies write them: `1h30m`, `15m`, `45s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms <= 0 || !Number.isFinite(ms)) return `${ms}ms`;
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit];
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return out;
}
