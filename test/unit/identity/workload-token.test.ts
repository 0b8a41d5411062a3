import { fingerprint, decodeClaims } from '../../../src/identity/jwt.js';
import { inspectWorkloadToken } from '../../../src/identity/flows/workload.js';

const NOW = 1_800_000_000;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256' }) => `${b64(header)}.${b64(claims)}.c2ln`;
const good = { iss: 'https://issuer', sub: 'system:serviceaccount:ci:deployer', aud: ['kgate'], iat: NOW - 10, exp: NOW + 600 };
const inspect = (token: string) => inspectWorkloadToken(token, '/var/run/token', 'kgate', NOW);

describe('inspectWorkloadToken', () => {
  test('a platform token for kgate passes and keeps its claims', () => {
    expect(inspect(jwt(good))).toMatchObject({ sub: good.sub, exp: good.exp });
  });

  test.each([
    ['not a JWT', 'abc', 'is not a JWT'],
    ['alg none', jwt(good, { alg: 'none' }), 'has no signature algorithm'],
    ['payload not JSON', `${b64({ alg: 'RS256' })}.bm90IGpzb24.c2ln`, 'is not base64url JSON'],
    ['another audience', jwt({ ...good, aud: 'sts.amazonaws.com' }), 'is for audience "sts.amazonaws.com", not "kgate"'],
    ['no audience', jwt({ ...good, aud: undefined }), 'is for audience (none), not "kgate"'],
    ['no subject', jwt({ ...good, sub: undefined }), 'has no iss or sub claim'],
    ['no expiry', jwt({ ...good, exp: undefined }), 'has no expiry (exp)'],
    ['expired beyond the tolerance', jwt({ ...good, exp: NOW - 121 }), 'expired at'],
    ['issued far in the future', jwt({ ...good, iat: NOW + 121, exp: NOW + 900 }), 'is not valid until'],
  ])('%s is refused', (_name, token, message) => {
    expect(() => inspect(token)).toThrow(message);
  });

  test('clock differences within two minutes are tolerated', () => {
    expect(() => inspect(jwt({ ...good, exp: NOW - 119 }))).not.toThrow();
    expect(() => inspect(jwt({ ...good, iat: NOW + 119, nbf: NOW + 119 }))).not.toThrow();
  });

  test('error messages never contain the token', () => {
    const token = jwt({ ...good, aud: 'other' });
    try {
      inspect(token);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(token.split('.')[1]);
    }
    expect.assertions(1);
  });
});

describe('jwt helpers', () => {
  test('decodeClaims reads the payload; fingerprint is short and stable', () => {
    const token = jwt(good);
    expect(decodeClaims(token)).toEqual(good);
    expect(fingerprint(token)).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(fingerprint(token)).toBe(fingerprint(token));
    expect(fingerprint(token)).not.toBe(fingerprint(`${token}x`));
  });
});
