/**
 * Bytes per key (a principal) over a sliding window, counted in 60 slots so memory stays small
 * whatever the traffic: what was charged more than a window ago no longer counts. Charges are
 * made as bytes arrive, so concurrent uploads of one key share its budget, and refunded when
 * what they paid for was not kept.
 */

const SLOTS = 60;

interface Slot {
  index: number;
  bytes: number;
}

/** A charge that can be given back. */
export interface Charge {
  readonly bytes: number;
  /** Gives back what was charged (once; later calls do nothing). */
  refund(): void;
}

export class ByteBudget {
  private readonly slotMs: number;
  private readonly spent = new Map<string, Slot[]>();

  /** `limit` bytes per key per `windowMs`; `now` is injectable for tests. */
  constructor(readonly limit: number, readonly windowMs: number, private readonly now: () => number = Date.now) {
    this.slotMs = Math.max(1, Math.ceil(windowMs / SLOTS));
  }

  /** Bytes `key` spent in the window ending now. */
  used(key: string): number {
    return this.live(key).reduce((sum, s) => sum + s.bytes, 0);
  }

  /**
   * Ms until `bytes` more would fit for `key`: 0 when they fit now, Infinity when they never can
   * (more than the whole budget).
   */
  waitFor(key: string, bytes: number): number {
    if (bytes > this.limit) return Number.POSITIVE_INFINITY;
    const slots = this.live(key);
    let over = slots.reduce((sum, s) => sum + s.bytes, 0) + bytes - this.limit;
    if (over <= 0) return 0;
    for (const slot of slots) {
      over -= slot.bytes;
      if (over <= 0) return (slot.index + SLOTS) * this.slotMs - this.now();
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Charges `bytes` to `key` when they fit; undefined (nothing charged) when they do not. */
  charge(key: string, bytes: number): Charge | undefined {
    if (this.waitFor(key, bytes) > 0) return undefined;
    const index = Math.floor(this.now() / this.slotMs);
    const slots = this.live(key);
    let slot = slots.at(-1);
    if (slot?.index !== index) {
      slot = { index, bytes: 0 };
      slots.push(slot);
    }
    this.spent.set(key, slots);
    slot.bytes += bytes;
    const charged = slot;
    let refunded = false;
    return {
      bytes,
      refund: () => {
        if (refunded) return;
        refunded = true;
        charged.bytes = Math.max(0, charged.bytes - bytes);
      },
    };
  }

  /** The slots of `key` still inside the window, oldest first; forgets keys with none. */
  private live(key: string): Slot[] {
    const slots = this.spent.get(key);
    if (!slots) return [];
    const first = Math.floor(this.now() / this.slotMs) - SLOTS + 1;
    const kept = slots.filter((s) => s.index >= first && s.bytes > 0);
    if (kept.length === 0) this.spent.delete(key);
    else if (kept.length !== slots.length) this.spent.set(key, kept);
    return kept;
  }
}
