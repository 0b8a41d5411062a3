/**
 * How much of a session's grant is left, in words a person reads at a glance, and when to warn
 * them: five minutes and one minute before the grant ends, and when it has ended. Pure; the
 * session's timers and its interface decide when to ask.
 */

/** Minutes before expiry at which a running session warns. */
export const WARN_BEFORE_MS = [5 * 60_000, 60_000] as const;

/** `1h 05m`, `4m 09s`, `42s`, or `expired`. */
export function formatRemaining(ms: number): string {
  if (!(ms > 0)) return 'expired';
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One thing to tell the person at a moment of the session. */
export interface ExpiryNotice {
  at: number;
  text: string;
}

/**
 * The warnings still ahead of `now` for a grant ending at `expiresAt`, in time order. A warning
 * whose moment has passed is dropped: the session says how long is left when it starts.
 */
export function expiryNotices(grantId: string, expiresAt: number, now: number): ExpiryNotice[] {
  const warnings = WARN_BEFORE_MS.map((before) => ({
    at: expiresAt - before,
    text: `kgate: grant ${grantId} ends in ${formatRemaining(before)}. When it ends, requests through this shell are refused; exit and run kgate session again for a fresh grant.`,
  }));
  const end = { at: expiresAt, text: `kgate: grant ${grantId} has ended; requests through this shell are now refused. Type exit to close the session.` };
  return [...warnings, end].filter((n) => n.at > now);
}
