import { describe, expect, it } from '@jest/globals';
import { parseTimeFlag } from '../../../src/cli/time-flag.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('--from / --to', () => {
  it.each([
    ['1h', '2026-12-06T11:00:00.000Z'],
    ['30m', '2026-12-06T11:30:00.000Z'],
    ['7d', '2026-11-29T12:00:00.000Z'],
    ['1h30m', '2026-12-06T10:30:00.000Z'],
  ])('reads %s as that long before now', (value, time) => {
    expect(parseTimeFlag(value, NOW)).toBe(time);
  });

  it.each(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.123456Z', '2026-01-01T01:00:00+01:00'])('passes RFC 3339 %s through', (value) => {
    expect(parseTimeFlag(value, NOW)).toBe(value);
  });

  it.each(['yesterday', '2026-01-01', '2026-13-01T00:00:00Z', '3600', '-1h', ''])('refuses %p naming both forms', (value) => {
    expect(() => parseTimeFlag(value, NOW)).toThrow(/RFC 3339 time like .* or how long ago like 1h/);
  });

  it('refuses a duration longer than time itself instead of wrapping it', () => {
    expect(() => parseTimeFlag('99999999999999999d', NOW)).toThrow('before any time kgate can name');
    expect(() => parseTimeFlag('100000d', NOW)).toThrow('before any time kgate can name');
  });
});
