/**
 * Watches the grant a broker session runs on, so that what is still open ends with it: a timer at
 * the grant's expiry (the broker knows `expiresAt`), and a long-poll of the grant on the policy
 * service, which answers as soon as the grant changes, so a revocation is known within seconds
 * (at once on the replica that revoked it, within its re-check on the others). An extension moves
 * the watch onto the new grant. While the service cannot be reached the long-poll is retried; the
 * expiry timer still ends streams on time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { GrantView, PolicyClient } from '../../policy/client.js';
import { grantEndReason } from '../../policy/render.js';

export interface GrantWatchOptions {
  client: Pick<PolicyClient, 'getGrant'>;
  /** The active grant to watch. */
  grant: GrantView;
  /** Called once, when the grant followed ends, with why (e.g. `grant g-1 expired`). */
  onEnded: (why: string) => void;
  log: (line: string) => void;
  now?: () => number;
  /** Longest a long-poll is held, in seconds (the service allows up to 60); default 30. */
  pollSeconds?: number;
  /** Pause after a failed long-poll; default 2 s. */
  retryMs?: number;
}

export interface GrantWatch {
  /** Moves the watch onto `next`, a fresh grant carrying the session on (an extension). */
  follow(next: GrantView): void;
  /** Stops watching; resolves once no long-poll is left running. */
  stop(): Promise<void>;
}

/** Node's timers hold at most ~24.8 days; a later expiry is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Starts watching `options.grant`. */
export function watchGrant(options: GrantWatchOptions): GrantWatch {
  const now = options.now ?? Date.now;
  const seconds = options.pollSeconds ?? 30;
  const retryMs = options.retryMs ?? 2000;
  const stopping = new AbortController();
  let current = options.grant;
  let revision = current.revision;
  let poll = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const end = (grantId: string, why: string): void => {
    if (ended || stopping.signal.aborted || grantId !== current.id) return;
    ended = true;
    clearTimeout(timer);
    poll.abort();
    options.onEnded(why);
  };

  const arm = (): void => {
    clearTimeout(timer);
    const { id, expiresAt } = current;
    if (expiresAt === undefined || ended) return;
    timer = setTimeout(() => (expiresAt <= now() ? end(id, `grant ${id} expired`) : arm()), Math.min(Math.max(expiresAt - now(), 0), MAX_TIMER_MS));
    timer.unref();
  };

  const loop = (async () => {
    let failing = false;
    while (!ended && !stopping.signal.aborted) {
      const watched = current;
      const { signal } = poll;
      try {
        const seen = await options.client.getGrant(watched.id, { revision, seconds }, signal);
        if (failing) options.log(`grant watch: the policy service answers again for grant ${watched.id}`);
        failing = false;
        if (watched !== current) continue;
        if (seen.state !== 'active') {
          end(seen.id, grantEndReason(seen));
          continue;
        }
        revision = seen.revision;
        if (seen.expiresAt !== current.expiresAt) {
          current = { ...current, ...(seen.expiresAt !== undefined ? { expiresAt: seen.expiresAt } : {}) };
          arm();
        }
      } catch (error) {
        // Aborted: stopped, ended, or moved onto another grant (the loop picks that one up).
        if (signal.aborted) continue;
        if (!failing) options.log(`grant watch: cannot ask the policy service about grant ${watched.id} (${(error as Error).message}); streams still end at its expiry`);
        failing = true;
        await delay(retryMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();

  arm();
  return {
    follow(next) {
      if (next.id === current.id || ended) return;
      current = next;
      revision = next.revision;
      poll.abort();
      poll = new AbortController();
      arm();
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      poll.abort();
      await loop;
    },
  };
}
