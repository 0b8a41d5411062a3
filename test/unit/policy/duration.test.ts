import { formatDuration, isDurationText, parseDuration, tryParseDuration } from '../../../src/policy/duration.js';

describe('durations', () => {
  it.each([
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['8h', 28_800_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['7d', 604_800_000],
    ['1d2h3m4s5ms', 93_784_005],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['forever', '', '3600', '1.5h', '-1h', '1 h', 'h', '1H', '1h 30m', '1w'])('refuses %j', (text) => {
    expect(tryParseDuration(text)).toBeUndefined();
    expect(() => parseDuration(text)).toThrow(`expected a duration like 15m or 1h, got ${JSON.stringify(text)}`);
  });

  it.each(['99999999999999999d', '9007199254740992ms', '9007199254740991ms1ms', '104249991375d', '1' + '0'.repeat(400) + 's'])(
    'never wraps or rounds %j into a shorter duration: it is well-formed but too long to count',
    (text) => {
      expect(isDurationText(text)).toBe(true);
      expect(tryParseDuration(text)).toBeUndefined();
      expect(() => parseDuration(text)).toThrow(RangeError);
    },
  );

  it('counts the longest safe duration exactly, and leading zeros as nothing', () => {
    expect(tryParseDuration('9007199254740991ms')).toBe(Number.MAX_SAFE_INTEGER);
    expect(tryParseDuration('00000000000000000000001s')).toBe(1000);
  });

  it('formats the way policies write them', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(28_800_000)).toBe('8h');
    expect(formatDuration(250)).toBe('250ms');
  });
});
