import { ByteBudget } from '../../../../src/policy/server/byte-budget.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);

function budget(limit = 1000) {
  let now = T0;
  const b = new ByteBudget(limit, HOUR, () => now);
  return { b, at: (ms: number) => (now = T0 + ms) };
}

describe('ByteBudget', () => {
  test('charges until the limit, per key', () => {
    const { b } = budget();
    expect(b.charge('alice', 600)).toBeDefined();
    expect(b.charge('alice', 400)).toBeDefined();
    expect(b.used('alice')).toBe(1000);
    expect(b.charge('alice', 1)).toBeUndefined();
    expect(b.used('alice')).toBe(1000);
    expect(b.charge('bob', 1000)).toBeDefined();
  });

  test('a refund gives the bytes back, once', () => {
    const { b } = budget();
    const charge = b.charge('alice', 700)!;
    b.charge('alice', 300);
    charge.refund();
    charge.refund();
    expect(b.used('alice')).toBe(300);
    expect(b.charge('alice', 700)).toBeDefined();
  });

  test('bytes leave the window an hour after they were charged, and waitFor says when', () => {
    const { b, at } = budget();
    b.charge('alice', 400);
    at(10 * 60_000);
    b.charge('alice', 600);
    expect(b.waitFor('alice', 0)).toBe(0);
    // 100 more need the first 400 gone: a window after they were charged.
    expect(b.waitFor('alice', 100)).toBe(HOUR - 10 * 60_000);
    // 500 more need both gone.
    expect(b.waitFor('alice', 500)).toBe(HOUR);
    expect(b.waitFor('alice', 1001)).toBe(Number.POSITIVE_INFINITY);
    at(HOUR - 1);
    expect(b.charge('alice', 100)).toBeUndefined();
    at(HOUR);
    expect(b.used('alice')).toBe(600);
    expect(b.charge('alice', 400)).toBeDefined();
    at(HOUR + 10 * 60_000);
    expect(b.used('alice')).toBe(400);
    at(3 * HOUR);
    expect(b.used('alice')).toBe(0);
  });

  test('keeps at most one slot a minute per key, however many charges', () => {
    const { b, at } = budget(1_000_000);
    for (let i = 0; i < 10_000; i += 1) {
      at(i * 1000);
      b.charge('alice', 1);
    }
    at(10_000 * 1000);
    // Counted by the minute: the last hour, less at most the part of a minute that has begun.
    expect(b.used('alice')).toBeGreaterThanOrEqual(3540);
    expect(b.used('alice')).toBeLessThanOrEqual(3600);
    const slots = (b as unknown as { spent: Map<string, unknown[]> }).spent.get('alice')!;
    expect(slots.length).toBeLessThanOrEqual(60);
  });
});
