import { DEFAULT_LIMITS, formatBytes, parseByteSize, resolveLimits, tooManyRequests } from '../../../../src/policy/server/limits.js';
import { limitsOf } from '../../../../src/commands/server.js';

describe('limits', () => {
  test('the defaults', () => {
    expect(resolveLimits()).toEqual({
      maxRecordingBytes: 64 * 1024 * 1024, maxPendingRequests: 10, maxGatewayCredentialsPerGrant: 20,
      auditBytesPerWindow: 256 * 1024 * 1024, recordingBytesPerWindow: 256 * 1024 * 1024, windowMs: 3_600_000,
    });
    expect(resolveLimits({ maxPendingRequests: undefined })).toEqual(DEFAULT_LIMITS);
  });

  test.each([
    [{ maxPendingRequests: 0 }, 'maxPendingRequests must be a whole number of at least 1, got 0'],
    [{ maxGatewayCredentialsPerGrant: 1.5 }, 'maxGatewayCredentialsPerGrant must be a whole number of at least 1, got 1.5'],
    [{ windowMs: 1000 }, 'the budget window must be at least a minute'],
    [{ maxPendingRequests: 1001 }, 'maxPendingRequests must be at most 1000'],
    [{ maxRecordingBytes: 1024 * 1024 * 1024 }, 'the recording budget (268435456 bytes) must hold at least one largest recording (1073741824 bytes)'],
    [{ auditBytesPerWindow: 1024 }, 'the audit budget (1024 bytes) must hold at least one largest batch (8388608 bytes)'],
  ])('refuses %j', (given, message) => {
    expect(() => resolveLimits(given)).toThrow(message);
  });

  test.each([
    ['0', 0], ['65536', 65536], ['64Ki', 65536], ['64Mi', 64 * 1024 * 1024], ['1Gi', 1024 ** 3], ['2Ti', 2 * 1024 ** 4], ['500M', 5e8], ['1k', 1000], [' 5Mi ', 5 * 1024 * 1024],
  ])('parses the size %j', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  test.each(['', 'Mi', '-1', '1.5Mi', '1 Mi', '1MiB', '1mi', '0x10', '9999999999999999Ti'])('refuses the size %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });

  test.each([[512, '512 bytes'], [2048, '2 KiB'], [64 * 1024 * 1024, '64 MiB'], [1.5 * 1024 ** 3, '1.5 GiB']])('formats %i bytes as %j', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  test('a 429 says when to come back, in whole seconds rounded up', () => {
    expect(tooManyRequests('over', 'over_limit', 1500)).toMatchObject({ status: 429, code: 'over_limit', headers: { 'retry-after': '2' } });
    expect(tooManyRequests('over', 'over_limit', 10)).toMatchObject({ headers: { 'retry-after': '1' } });
    expect(tooManyRequests('over', 'over_limit').headers).toEqual({});
    expect(tooManyRequests('over', 'over_limit', Number.POSITIVE_INFINITY).headers).toEqual({});
  });
});

describe('kgate server limit flags', () => {
  test('read sizes, counts and the window', () => {
    expect(limitsOf({ 'max-recording-size': '1Mi', 'recording-budget': '5Mi', 'audit-budget': '8Mi', 'max-pending-requests': 3, 'max-gateway-credentials': 2, 'budget-window': '15m' })).toEqual({
      maxRecordingBytes: 1024 * 1024, recordingBytesPerWindow: 5 * 1024 * 1024, auditBytesPerWindow: 8 * 1024 * 1024,
      maxPendingRequests: 3, maxGatewayCredentialsPerGrant: 2, windowMs: 900_000,
    });
    expect(limitsOf({})).toEqual(DEFAULT_LIMITS);
  });

  test.each([
    [{ 'max-recording-size': 'lots' }, '--max-recording-size lots is not a size'],
    [{ 'budget-window': '3600' }, '--budget-window 3600 is not a duration'],
    [{ 'recording-budget': '1Mi' }, '--recording-budget: the recording budget (1048576 bytes) must hold at least one largest recording (67108864 bytes)'],
    [{ 'budget-window': '30s' }, '--budget-window: the budget window must be at least a minute'],
  ])('name the flag that cannot work: %j', (flags, message) => {
    expect(() => limitsOf(flags)).toThrow(expect.objectContaining({ code: 'KGATE_USAGE', message }));
  });
});
