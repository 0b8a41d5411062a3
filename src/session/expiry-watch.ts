/**
 * Tells the person in a session's shell, on the terminal, that the grant is about to end and when
 * it has ended, at the moments {@link expiryNotices} names. The clock is injected for tests.
 */
import { expiryNotices } from './remaining.js';

/** Timers the watch uses. */
export interface WatchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: WatchClock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Starts the notices for a grant ending at `expiresAt`; the returned function stops them. */
export function watchExpiry(grantId: string, expiresAt: number, say: (line: string) => void, clock: WatchClock = systemClock): () => void {
  const timers = expiryNotices(grantId, expiresAt, clock.now()).map((notice) =>
    // Timers must not keep kgate alive once the shell is gone.
    unref(clock.setTimeout(() => say(notice.text), notice.at - clock.now())));
  return () => timers.forEach((t) => clock.clearTimeout(t));
}

function unref<T>(handle: T): T {
  (handle as { unref?: () => void }).unref?.();
  return handle;
}
