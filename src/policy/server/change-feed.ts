/**
 * In-process change notification for long-polls: whoever changes a grant or approval calls
 * `notify(key)`, and waiters re-read the store. The store stays the truth; a missed wake-up only
 * costs the periodic re-check.
 */
export class ChangeFeed {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Wakes everyone waiting on `key`. */
  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  /**
   * Reads with `read` until `done(value)` holds, `timeoutMs` passes or `signal` aborts, and
   * returns the last value read.
   */
  async waitFor<T>(key: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while (!done(value) && Date.now() < deadline && !signal?.aborted) {
      await this.next(key, Math.min(deadline - Date.now(), RECHECK_MS), signal);
      value = await read();
    }
    return value;
  }

  private next(key: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(ms, 0));
      signal?.addEventListener('abort', wake, { once: true });
      set.add(wake);
    });
  }
}

/** Long-polls re-read the store this often even without a notification (another writer, a clock). */
const RECHECK_MS = 5_000;

/** Keys of the feed. */
export const grantKey = (id: string) => `grant:${id}`;
export const approvalKey = (id: string) => `approval:${id}`;
