import { describe, expect, it } from '@jest/globals';
import { formatRemaining } from '../../../src/policy/render.js';
import { expiryNotices } from '../../../src/session/remaining.js';
import { watchExpiry, type WatchClock } from '../../../src/session/expiry-watch.js';

describe('formatRemaining', () => {
  it.each([
    [3_725_000, '1h 02m'],
    [3_600_000, '1h 00m'],
    [3_599_999, '59m 59s'],
    [249_000, '4m 09s'],
    [60_000, '1m 00s'],
    [42_500, '42s'],
    [999, '0s'],
    [0, 'expired'],
    [-5, 'expired'],
    [Number.NaN, 'expired'],
  ])('%p ms reads %p', (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });
});

describe('expiryNotices', () => {
  const end = 10_000_000;

  it('warns five minutes and one minute ahead, then says the grant ended', () => {
    const notices = expiryNotices('g1', end, end - 3_600_000);
    expect(notices.map((n) => end - n.at)).toEqual([300_000, 60_000, 0]);
    expect(notices[0]!.text).toContain('grant g1 ends in 5m 00s');
    expect(notices[1]!.text).toContain('grant g1 ends in 1m 00s');
    expect(notices[2]!.text).toContain('grant g1 has ended');
  });

  it('drops the warnings whose moment has passed', () => {
    expect(expiryNotices('g1', end, end - 120_000).map((n) => end - n.at)).toEqual([60_000, 0]);
    expect(expiryNotices('g1', end, end)).toEqual([]);
  });
});

describe('watchExpiry', () => {
  function fakeClock(start: number) {
    let now = start;
    const timers = new Map<number, { at: number; fn: () => void }>();
    let next = 0;
    const clock: WatchClock = {
      now: () => now,
      setTimeout: (fn, ms) => (timers.set(++next, { at: now + ms, fn }), next),
      clearTimeout: (handle) => timers.delete(handle as number),
    };
    const advance = (ms: number) => {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) if (t.at <= now) { timers.delete(id); t.fn(); }
    };
    return { clock, advance, pending: () => timers.size };
  }

  it('says each notice when its moment comes, and nothing after stop', () => {
    const { clock, advance, pending } = fakeClock(0);
    const said: string[] = [];
    const stop = watchExpiry('g2', 600_000, (line) => said.push(line), clock);
    advance(299_999);
    expect(said).toEqual([]);
    advance(1);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('ends in 5m 00s');
    advance(240_000);
    expect(said).toHaveLength(2);
    stop();
    expect(pending()).toBe(0);
    advance(60_000);
    expect(said).toHaveLength(2);
  });
});
