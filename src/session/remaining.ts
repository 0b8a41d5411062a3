/**
 * When to warn the person in a session that its grant ends: five minutes and one minute before,
 * and when it has ended. Pure; the session's timers decide when to ask.
 */
import { formatRemaining } from '../policy/render.js';

/** Minutes before expiry at which a running session warns. */
export const WARN_BEFORE_MS = [5 * 60_000, 60_000] as const;

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
