/**
 * Request counters the simulated AWS endpoints keep, so tests can assert what was (not) called.
 */

/** Counts by key: `sts:<Action>` for successes, `sts:<Action>:<ErrorCode>` for failures, `eks:<Operation>[:<ErrorType>]`. */
export class AwsCounters {
  private readonly counts = new Map<string, number>();

  count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** A copy of every count, keys sorted. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
