import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionRecord } from '../../../src/identity/session-record.js';
import { SessionStore } from '../../../src/identity/store/session-store.js';
import { StoreUnavailableError, type SecretStore } from '../../../src/identity/store/secret-store.js';

let dir: string;
const profile = { issuer: 'https://idp', clientId: 'kgate-cli', audience: 'kgate' };
const record = (subject: string): SessionRecord => ({
  version: 1, method: 'device', issuer: 'https://idp', clientId: 'kgate-cli', audience: 'kgate', subject, groups: ['sre'],
  accessToken: 'a.b.c', refreshToken: 'r', expiresAt: 2_000_000_000,
});

// The real keyring is exercised in test/e2e/identity/keyring.test.ts; this stand-in only
// reproduces a keyring that refuses access, which the real one cannot be made to do on demand.
const refusingKeyring: SecretStore = {
  kind: 'keyring',
  read: async () => { throw new StoreUnavailableError('the OS keyring refused access: locked'); },
  write: async () => { throw new StoreUnavailableError('the OS keyring refused access: locked'); },
  remove: async () => { throw new StoreUnavailableError('the OS keyring refused access: locked'); },
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kgate-store-'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('SessionStore', () => {
  test('file storage: saved logins are found again, 0600, and a new identity replaces the old entry', async () => {
    const store = new SessionStore({ storage: 'file', stateDir: dir, warn: () => {} });
    const first = await store.save(profile, record('alice'));
    const found = await store.lookup(profile);
    expect(found).toMatchObject({ kind: 'found', session: { record: { subject: 'alice' }, location: first } });
    expect((await stat(join(dir, 'tokens', `${first!.cacheKey}.json`))).mode & 0o777).toBe(0o600);
    await store.save(profile, record('bob'));
    expect(await readdir(join(dir, 'tokens'))).toHaveLength(1);
    expect(await store.lookup(profile)).toMatchObject({ kind: 'found', session: { record: { subject: 'bob' } } });
    expect(await store.lookup({ ...profile, audience: 'other' })).toEqual({ kind: 'none' });
  });

  test('auto storage falls back to the file store with one warning when the keyring refuses', async () => {
    const warnings: string[] = [];
    const store = new SessionStore({ storage: 'auto', stateDir: dir, warn: (l) => warnings.push(l), keyring: refusingKeyring });
    expect(await store.save(profile, record('alice'))).toMatchObject({ storage: 'file' });
    expect(warnings).toEqual([expect.stringMatching(/^kgate: warning: the OS keyring refused access: locked; keeping tokens in a 0600 file under /)]);
  });

  test('explicit keyring storage fails instead of falling back, and writes nothing', async () => {
    const store = new SessionStore({ storage: 'keyring', stateDir: dir, warn: () => {}, keyring: refusingKeyring });
    await expect(store.save(profile, record('alice'))).rejects.toMatchObject({ code: 'KGATE_TOKEN_STORE', exit: 1 });
    expect(await readdir(dir)).toEqual([]);
  });

  test.each([
    ['not JSON', '{"version":1,', 'is not JSON'],
    ['another format', '{"version":7}', 'has an unknown format'],
    ['missing fields', JSON.stringify({ ...record('x'), groups: 'sre' }), 'is missing fields or has fields of the wrong type'],
    ['no token at all', JSON.stringify({ ...record('x'), accessToken: undefined }), 'holds no token and no token source'],
  ])('a corrupted entry (%s) is reported, removed and then absent', async (_name, text, reason) => {
    const store = new SessionStore({ storage: 'file', stateDir: dir, warn: () => {} });
    const location = await store.save(profile, record('alice'));
    await writeFile(join(dir, 'tokens', `${location!.cacheKey}.json`), text);
    expect(await store.lookup(profile)).toEqual({ kind: 'corrupt', reason: `the cached login in the file store ${reason}` });
    expect(await store.lookup(profile)).toEqual({ kind: 'none' });
    expect(await readdir(join(dir, 'tokens'))).toEqual([]);
  });

  test('an unreadable index is ignored with a warning; "none" storage keeps nothing', async () => {
    const warnings: string[] = [];
    await writeFile(join(dir, 'identities.json'), 'garbage');
    const store = new SessionStore({ storage: 'file', stateDir: dir, warn: (l) => warnings.push(l) });
    expect(await store.lookup(profile)).toEqual({ kind: 'none' });
    expect(warnings[0]).toContain('identities.json is unreadable');
    await store.save(profile, record('alice'));
    expect(JSON.parse(await readFile(join(dir, 'identities.json'), 'utf8'))).toEqual(expect.any(Object));
    const none = new SessionStore({ storage: 'none', stateDir: join(dir, 'none'), warn: () => {} });
    expect(await none.save(profile, record('alice'))).toBeUndefined();
    expect(await none.lookup(profile)).toEqual({ kind: 'none' });
  });
});
