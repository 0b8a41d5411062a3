/**
 * Ships spooled audit events to the policy service in batches, at least once: a batch is
 * acknowledged (removed from the spool) only after the service accepted it, and the service
 * deduplicates by `auditID`, so a batch re-sent after a lost answer does no harm. While the service
 * is down the shipper retries with capped exponential backoff and jitter; nothing is dropped.
 * A batch the service rejects as malformed or too large is halved, so one bad event cannot hold
 * back the others; that event alone is then retried (and logged) until something changes.
 */
import type { AuditEvent } from './event.js';
import type { AuditSpool } from './spool.js';

/** Most events the service accepts in one batch (`MAX_AUDIT_BATCH` of the audit route). */
export const MAX_SHIP_BATCH = 1000;

export interface ShipResult {
  accepted: number;
  duplicates: number;
  /**
   * Events whose auditID the service already holds with other content (someone wrote it first):
   * kept there as conflicts, which `kgate audit verify` reports; resending them changes nothing.
   */
  conflicts?: number;
}

export interface ShipperBackoff {
  /** First retry delay in ms before jitter; default 250. */
  initialMs?: number;
  /** Largest delay in ms; default 30 000. */
  maxMs?: number;
}

/** Timers and randomness, injectable so tests drive time themselves. */
export interface ShipperClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export interface ShipperOptions {
  spool: AuditSpool;
  /** Delivers a batch, typically `(events) => policyClient.ingestAudit(events)`. */
  send: (events: AuditEvent[]) => Promise<ShipResult>;
  /** Events per batch, 1–1000; default 500. */
  batchSize?: number;
  backoff?: ShipperBackoff;
  /** How often an idle shipper looks at the spool besides being woken by appends; default 5000 ms. */
  idleMs?: number;
  clock?: Partial<ShipperClock>;
  /** One line per notable event (send failures, recoveries); never event content. */
  log?: (line: string) => void;
}

export interface FlushResult {
  /** Events shipped while the flush ran. */
  shipped: number;
  /** Events still waiting in the spool when it returned. */
  remaining: number;
}

export interface AuditShipper {
  /** Starts shipping in the background. */
  start(): void;
  /** Ships until the spool is empty or `timeoutMs` passes, retrying as usual meanwhile. */
  flush(timeoutMs: number): Promise<FlushResult>;
  /** Stops after the batch in flight, if any, has been answered and acknowledged (and after a running flush). */
  stop(): Promise<void>;
}

const SYSTEM_CLOCK: ShipperClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
  random: Math.random,
};

/** Creates a shipper for `opts.spool`; nothing happens until `start()` or `flush()`. */
export function createShipper(opts: ShipperOptions): AuditShipper {
  const batchSize = opts.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_SHIP_BATCH) throw new RangeError(`createShipper: batchSize must be 1–${MAX_SHIP_BATCH}`);
  const clock: ShipperClock = { ...SYSTEM_CLOCK, ...opts.clock };
  const initialMs = opts.backoff?.initialMs ?? 250;
  const maxMs = opts.backoff?.maxMs ?? 30_000;
  const idleMs = opts.idleMs ?? 5000;
  const log = opts.log ?? (() => {});

  let started = false;
  let flushes = 0;
  let loop: Promise<void> | undefined;
  let failures = 0;
  let size = batchSize;
  let shipped = 0;
  let wake: (() => void) | undefined;
  const progress = new Set<() => void>();

  const active = () => started || flushes > 0;
  const nudge = () => wake?.();
  const unsubscribe = opts.spool.onAppend(nudge);

  const pause = (ms: number) => new Promise<void>((resolve) => {
    const handle = clock.setTimeout(() => {
      wake = undefined;
      resolve();
    }, ms);
    wake = () => {
      clock.clearTimeout(handle);
      wake = undefined;
      resolve();
    };
  });

  const retryDelay = () => {
    // Equal jitter: at least half the exponential step, so retries from many brokers spread out
    // without ever collapsing to a tight loop.
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(ceiling / 2 + clock.random() * (ceiling / 2));
  };

  const shipOnce = async (): Promise<'idle' | 'shipped' | 'failed'> => {
    let batch: ReturnType<AuditSpool['pending']> = [];
    try {
      batch = opts.spool.pending(size);
      if (batch.length === 0) return 'idle';
      const result = await opts.send(batch.map((entry) => entry.event));
      const conflicts = result.conflicts ?? 0;
      if (result.accepted + result.duplicates + conflicts !== batch.length) {
        throw new Error(`the service accounted for ${result.accepted + result.duplicates + conflicts} of ${batch.length} events`);
      }
      if (conflicts > 0) log(`audit shipping: the service already held other events under ${conflicts} of these auditIDs; it keeps them as conflicts, which kgate audit verify reports`);
      opts.spool.ack(batch.map((entry) => entry.id));
      shipped += batch.length;
      if (failures > 0) log(`audit shipping recovered after ${failures} failed attempt(s)`);
      failures = 0;
      size = batchSize;
      return 'shipped';
    } catch (error) {
      failures += 1;
      if (isRejectedAsMalformed(error) && size > 1) size = Math.max(1, Math.floor(Math.min(size, batch.length) / 2));
      log(`audit shipping failed (attempt ${failures}, ${batch.length} events): ${(error as Error).message}`);
      return 'failed';
    }
  };

  const run = async () => {
    while (active()) {
      const outcome = await shipOnce();
      for (const notify of progress) notify();
      if (outcome === 'shipped') continue;
      await pause(outcome === 'idle' ? idleMs : retryDelay());
    }
    loop = undefined;
  };

  const ensureRunning = () => {
    loop ??= run();
  };

  return {
    start() {
      started = true;
      ensureRunning();
    },
    async flush(timeoutMs) {
      const before = shipped;
      const deadline = clock.now() + timeoutMs;
      flushes += 1;
      try {
        ensureRunning();
        await new Promise<void>((resolve) => {
          const check = () => {
            if (opts.spool.stats().pending === 0 || clock.now() >= deadline) finish();
          };
          const timer = clock.setTimeout(() => finish(), Math.max(0, timeoutMs));
          const finish = () => {
            clock.clearTimeout(timer);
            progress.delete(check);
            resolve();
          };
          progress.add(check);
          nudge();
          check();
        });
      } finally {
        flushes -= 1;
        // A flush on a shipper that was not started stops shipping again.
        if (!active()) nudge();
      }
      return { shipped: shipped - before, remaining: opts.spool.stats().pending };
    },
    async stop() {
      started = false;
      nudge();
      await loop;
      unsubscribe();
    },
  };
}

// 400 and 413 mean the batch itself is at fault, not the service's state.
function isRejectedAsMalformed(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 400 || status === 413;
}
