/**
 * Ends what has run out: active grants past expiresAt (access removed, then marked expired) and
 * pending approvals past theirs (their grants end too). A timer fires at the nearest known
 * expiry; a periodic sweep catches everything else (grants activated elsewhere, failed removals).
 */
import { approvalKey } from './change-feed.js';
import type { ServiceContext } from './context.js';
import type { GrantLifecycle } from './grant-lifecycle.js';

/** Default period of the safety-net sweep. */
export const SWEEP_INTERVAL_MS = 5_000;
/** Timers are not set further ahead than this (Node's limit is ~24.8 days; the sweep covers the rest). */
const MAX_TIMER_MS = 60 * 60_000;

export class ExpiryLoop {
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private sweeper?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly ctx: ServiceContext, private readonly lifecycle: GrantLifecycle, private readonly intervalMs = SWEEP_INTERVAL_MS) {}

  /** Starts the periodic sweep. */
  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), this.intervalMs);
    this.sweeper.unref();
  }

  /** Makes sure a sweep runs at `at` (epoch ms) or earlier. */
  scheduleAt(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      void this.sweep();
    }, Math.min(Math.max(at - this.ctx.now(), 0) + 5, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Runs one sweep (joining one in progress, then running again); never throws. */
  sweep(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.sweepOnce()
      .catch((error: unknown) => this.ctx.log.error({ err: (error as Error).message }, 'expiry sweep failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.sweep();
        }
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.sweeper);
    await this.running;
  }

  private async sweepOnce(): Promise<void> {
    const { store, now } = this.ctx;
    for (const grant of await store.grantsExpiringBefore(now())) {
      if (this.stopped) return;
      await this.lifecycle.expire(grant);
    }
    for (const approval of await store.expireApprovals(now())) {
      this.ctx.feed.notify(approvalKey(approval.id));
      if (approval.kind === 'grant' && approval.grantId) {
        await this.lifecycle.settleUnapproved(approval.grantId, 'expired', 'No decision before the approval expired; request the grant again');
      }
    }
    const next = (await store.activeGrants()).reduce((min, g) => Math.min(min, g.expiresAt ?? Infinity), Infinity);
    if (Number.isFinite(next)) this.scheduleAt(next);
  }
}
