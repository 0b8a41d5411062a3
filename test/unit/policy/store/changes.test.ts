import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import { T0, approval, grant, person, tempDir, vote } from './fixtures.js';

describe('the change feed', () => {
  test('every grant and approval change appears once, in order', async () => {
    const store = openSqliteStore(':memory:');
    expect(await store.currentSeq()).toBe(0);
    expect(await store.changesSince(0)).toEqual([]);
    await store.createGrant(grant('g1', { state: 'pending' }));
    await store.createApproval(approval('a1', { kind: 'grant', grantId: 'g1', request: undefined }));
    await store.addVote('a1', vote(person('carol')), { requiredCount: 1, now: T0 });
    await store.transitionGrant('g1', ['pending'], { state: 'active' });
    await store.transitionGrant('g1', ['pending'], { state: 'active' });
    expect(await store.changesSince(0)).toEqual([
      { seq: 1, kind: 'grant', id: 'g1' },
      { seq: 2, kind: 'approval', id: 'a1' },
      { seq: 3, kind: 'approval', id: 'a1' },
      { seq: 4, kind: 'grant', id: 'g1' },
    ]);
    expect(await store.currentSeq()).toBe(4);
    expect(await store.changesSince(2)).toHaveLength(2);
    expect(await store.changesSince(1, 1)).toEqual([{ seq: 2, kind: 'approval', id: 'a1' }]);
    expect(await store.changesSince(4)).toEqual([]);
    await expect(store.changesSince(-1)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await expect(store.changesSince(Number.NaN)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await expect(store.changesSince(0, 0)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await store.close();
  });

  test('failed writes leave no change behind', async () => {
    const store = openSqliteStore(':memory:');
    await store.createGrant(grant('g1'));
    await expect(store.createGrant(grant('g1'))).rejects.toThrow();
    await expect(store.createApproval(approval('a1', { grantId: 'ghost' }))).rejects.toThrow();
    expect(await store.currentSeq()).toBe(1);
    await store.close();
  });

  test('sequence numbers continue across reopening, so a waiter never sees one twice', async () => {
    const dir = tempDir();
    try {
      const first = openSqliteStore(dir.file());
      await first.createGrant(grant('g1'));
      await first.createGrant(grant('g2'));
      await first.close();
      const second = openSqliteStore(dir.file());
      expect(await second.currentSeq()).toBe(2);
      await second.transitionGrant('g1', ['active'], { state: 'revoked' });
      expect(await second.changesSince(2)).toEqual([{ seq: 3, kind: 'grant', id: 'g1' }]);
      await second.close();
    } finally {
      dir.dispose();
    }
  });
});
