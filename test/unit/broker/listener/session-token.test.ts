import { createSessionToken, sessionTokensEqual, sessionTokenVerifier } from '../../../../src/broker/listener/session-token.js';

describe('session tokens', () => {
  it('are 32 random bytes in base64url without padding', () => {
    const token = createSessionToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(createSessionToken()).not.toBe(token);
  });

  it('take their randomness from the injected source', () => {
    expect(createSessionToken((n) => Buffer.alloc(n, 0xff))).toBe('_'.repeat(42) + '8');
  });

  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
    ['', 'x', false],
    ['ä', 'ä', true],
  ])('%j equals %j: %s', (a, b, expected) => {
    expect(sessionTokensEqual(a, b)).toBe(expected);
  });

  it('verify against a set and accept only its members', () => {
    const [a, b] = [createSessionToken(), createSessionToken()];
    const verify = sessionTokenVerifier([a, b]);
    expect(verify(a)).toBe(true);
    expect(verify(b)).toBe(true);
    expect(verify(a.slice(0, -1))).toBe(false);
    expect(verify('')).toBe(false);
    expect(sessionTokenVerifier([])(a)).toBe(false);
  });
});
