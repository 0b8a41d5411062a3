import { readFileSync } from 'node:fs';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import type { Grant } from '../../../../src/policy/types.js';
import { principalId } from '../../../../src/policy/types.js';
import { T0, grant, person, tempDir } from './fixtures.js';

// Compile-time guard: a Grant must never grow a field that could carry a credential.
type SecretKeys = Extract<keyof Grant, 'token' | 'credential' | 'secret' | 'password'>;
const noSecretFields: [SecretKeys] extends [never] ? true : false = true;

describe('grants in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('a created grant reads back equal, at revision 1', async () => {
    const created = await store.createGrant(grant('g1', { reason: 'incident 42', approval: { groups: ['sre-leads'], count: 1, expiresAfterMs: 60_000 }, revision: 7 }));
    expect(created.revision).toBe(1);
    expect(await store.getGrant('g1')).toEqual({ ...grant('g1', { reason: 'incident 42', approval: { groups: ['sre-leads'], count: 1, expiresAfterMs: 60_000 } }), revision: 1 });
    expect(await store.getGrant('nope')).toBeUndefined();
  });

  test('a second grant with the same id is a conflict', async () => {
    await store.createGrant(grant('g1'));
    await expect(store.createGrant(grant('g1'))).rejects.toMatchObject({ code: 'KGATE_STORE_CONFLICT' });
  });

  test('the store keeps no token, neither on the grant nor inside its principal', async () => {
    expect(noSecretFields).toBe(true);
    const dir = tempDir();
    const fileStore = openSqliteStore(dir.file());
    try {
      const leaky = { ...grant('g1'), token: 'k8s-aws-v1.SECRET-TOKEN', principal: { ...person('alice'), accessToken: 'eyJ.SECRET-JWT' } } as Grant;
      await fileStore.createGrant(leaky);
      const back = (await fileStore.getGrant('g1'))!;
      expect(back).not.toHaveProperty('token');
      expect(back.principal).not.toHaveProperty('accessToken');
      await fileStore.close();
      const bytes = ['policy.db', 'policy.db-wal'].map((f) => { try { return readFileSync(dir.file(f)).toString('latin1'); } catch { return ''; } }).join('');
      expect(bytes).toContain('sub-alice');
      expect(bytes).not.toContain('SECRET');
    } finally {
      dir.dispose();
    }
  });

  test('a transition applies only from an expected state, bumping the revision each time', async () => {
    await store.createGrant(grant('g1', { state: 'pending', activatedAt: undefined, expiresAt: undefined }));
    expect(await store.transitionGrant('g1', ['active'], { state: 'revoked' })).toBeUndefined();
    const active = await store.transitionGrant('g1', ['pending'], { state: 'active', activatedAt: T0 + 5, expiresAt: T0 + 65 });
    expect(active).toMatchObject({ state: 'active', activatedAt: T0 + 5, expiresAt: T0 + 65, revision: 2 });
    const revoked = await store.transitionGrant('g1', ['pending', 'active'], { state: 'revoked', endedAt: T0 + 10, endedBy: 'carol', message: 'done' });
    expect(revoked).toMatchObject({ state: 'revoked', endedBy: 'carol', message: 'done', revision: 3 });
    expect(await store.getGrant('g1')).toEqual(revoked);
    expect(await store.transitionGrant('missing', ['active'], { state: 'revoked' })).toBeUndefined();
  });

  test('a patch key set to undefined clears the field; id and revision are not patchable', async () => {
    await store.createGrant(grant('g1', { message: 'note' }));
    const patch = { message: undefined, id: 'other', revision: 99 } as unknown as Partial<Grant>;
    const next = await store.transitionGrant('g1', ['active'], patch);
    expect(next).not.toHaveProperty('message');
    expect(next).toMatchObject({ id: 'g1', revision: 2 });
    expect(await store.getGrant('other')).toBeUndefined();
  });

  test('of two revokes issued together, exactly one wins', async () => {
    await store.createGrant(grant('g1'));
    const results = await Promise.all([
      store.transitionGrant('g1', ['active'], { state: 'revoked', endedBy: 'alice' }),
      store.transitionGrant('g1', ['active'], { state: 'revoked', endedBy: 'carol' }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.getGrant('g1'))!.revision).toBe(2);
  });

  test('two connections to one file: a revoke seen by one is final for the other', async () => {
    const dir = tempDir();
    const a = openSqliteStore(dir.file());
    const b = openSqliteStore(dir.file());
    try {
      await a.createGrant(grant('g1'));
      expect((await b.getGrant('g1'))!.state).toBe('active');
      const [first, second] = await Promise.all([
        a.transitionGrant('g1', ['active'], { state: 'revoked', endedBy: 'a' }),
        b.transitionGrant('g1', ['active'], { state: 'revoked', endedBy: 'b' }),
      ]);
      expect(first?.endedBy).toBe('a');
      expect(second).toBeUndefined();
      expect(await b.getGrant('g1')).toMatchObject({ state: 'revoked', endedBy: 'a', revision: 2 });
    } finally {
      await a.close();
      await b.close();
      dir.dispose();
    }
  });

  test('active grants and grants expiring at or before a time', async () => {
    await store.createGrant(grant('soon', { expiresAt: T0 + 10 }));
    await store.createGrant(grant('now', { expiresAt: T0 + 20 }));
    await store.createGrant(grant('later', { expiresAt: T0 + 30 }));
    await store.createGrant(grant('pending', { state: 'pending', expiresAt: undefined }));
    await store.createGrant(grant('revoked', { state: 'revoked', expiresAt: T0 + 5 }));
    expect((await store.activeGrants()).map((g) => g.id).sort()).toEqual(['later', 'now', 'soon']);
    expect((await store.grantsExpiringBefore(T0 + 20)).map((g) => g.id)).toEqual(['soon', 'now']);
    expect(await store.grantsExpiringBefore(T0)).toEqual([]);
  });
});

describe('listing grants', () => {
  let store: PolicyStore;
  const bob = person('bob', ['dev']);
  beforeAll(async () => {
    store = openSqliteStore(':memory:');
    for (let i = 0; i < 25; i++) {
      // Three grants share each createdAt, so pages must break ties by id.
      await store.createGrant(grant(`g${String(i).padStart(2, '0')}`, {
        createdAt: T0 + Math.floor(i / 3),
        principal: i % 2 ? bob : person('alice'),
        cluster: i % 5 === 0 ? 'other' : 'sim',
        state: i % 4 === 0 ? 'revoked' : 'active',
      }));
    }
  });
  afterAll(async () => {
    await store.close();
  });

  async function everything(filter: Parameters<PolicyStore['listGrants']>[0]): Promise<Grant[]> {
    const all: Grant[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listGrants({ ...filter, cursor });
      expect(page.items.length).toBeLessThanOrEqual(filter?.limit ?? 100);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  test('pages walk every grant once, newest first', async () => {
    const ids = (await everything({ limit: 4 })).map((g) => g.id);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toEqual([...ids].sort().reverse());
    expect((await store.listGrants({ limit: 25 })).nextCursor).toBeUndefined();
  });

  test('filters combine', async () => {
    const bobs = await everything({ principal: principalId(bob), limit: 3 });
    expect(bobs).toHaveLength(12);
    expect(bobs.every((g) => g.principal.name === 'bob')).toBe(true);
    const sim = await everything({ cluster: 'sim', state: ['active'], limit: 5 });
    expect(sim.every((g) => g.cluster === 'sim' && g.state === 'active')).toBe(true);
    expect(sim.map((g) => g.id)).toEqual(['g23', 'g22', 'g21', 'g19', 'g18', 'g17', 'g14', 'g13', 'g11', 'g09', 'g07', 'g06', 'g03', 'g02', 'g01']);
    expect(await everything({ state: ['revoked', 'expired'] })).toHaveLength(7);
    expect(await everything({ state: [] })).toHaveLength(25);
  });

  test('a bad cursor or limit is refused as invalid input', async () => {
    await expect(store.listGrants({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await expect(store.listGrants({ limit: 0 })).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await expect(store.listGrants({ limit: 1001 })).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
  });
});
