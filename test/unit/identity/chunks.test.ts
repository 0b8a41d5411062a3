import { CHUNK_CHARS, joinValue, partCount, partKey, splitValue } from '../../../src/identity/store/chunks.js';
import { cacheKey, profileKey } from '../../../src/identity/store/key.js';

describe('splitting large keyring values', () => {
  test('small values are stored as they are', () => {
    expect(splitValue('{"a":1}')).toEqual({ main: '{"a":1}', parts: [] });
    expect(partCount('{"a":1}')).toBe(0);
  });

  test('large values split into parts that reassemble exactly', () => {
    const value = 'x'.repeat(CHUNK_CHARS * 2) + 'é'.repeat(10);
    const { main, parts } = splitValue(value);
    expect(parts).toHaveLength(3);
    expect(partCount(main)).toBe(3);
    expect(joinValue(main, parts)).toBe(value);
  });

  test('a missing or altered part is detected', () => {
    const { main, parts } = splitValue('y'.repeat(CHUNK_CHARS + 5));
    expect(() => joinValue(main, [parts[0], undefined])).toThrow('is missing a part');
    expect(() => joinValue(main, [parts[0]!, 'zzzzz'])).toThrow('do not match its digest');
    expect(() => partCount('kgate-chunked:v1:many:abc')).toThrow('unreadable part manifest');
  });

  test('parts of different values have different names, so a rewrite never clobbers a reader', () => {
    const a = splitValue('a'.repeat(CHUNK_CHARS + 1)).main;
    const b = splitValue('b'.repeat(CHUNK_CHARS + 1)).main;
    expect(partKey('id-1', a, 1)).not.toBe(partKey('id-1', b, 1));
  });
});

describe('cache keys', () => {
  const id = { issuer: 'https://idp', clientId: 'kgate-cli', audience: 'kgate', subject: 'alice' };
  test('every identity-determining input changes the key', () => {
    const keys = new Set([
      cacheKey(id), cacheKey({ ...id, issuer: 'https://other' }), cacheKey({ ...id, clientId: 'x' }),
      cacheKey({ ...id, audience: 'y' }), cacheKey({ ...id, subject: 'bob' }),
    ]);
    expect(keys.size).toBe(5);
    expect(cacheKey(id)).toMatch(/^id-[0-9a-f]{40}$/);
    expect(profileKey(id)).toMatch(/^p-[0-9a-f]{40}$/);
  });

  test('joining fields cannot make two identities collide', () => {
    expect(cacheKey({ ...id, clientId: 'a', audience: 'bc' })).not.toBe(cacheKey({ ...id, clientId: 'ab', audience: 'c' }));
  });
});
