import { DuplicateVoteError } from '../../../../src/policy/store/errors.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import { T0, approval, grant, person, vote } from './fixtures.js';

const carol = person('carol', ['sre-leads']);
const dave = person('dave', ['sre-leads']);
const erin = person('erin', ['sre-leads']);
const options = { requiredCount: 2, now: T0 + 1000 };

describe('approvals and votes in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('an approval reads back equal, at revision 1 and without votes', async () => {
    const created = await store.createApproval(approval('a1'));
    expect(created).toEqual({ ...approval('a1'), revision: 1 });
    expect(await store.getApproval('a1')).toEqual(created);
    expect(await store.getApproval('nope')).toBeUndefined();
    await expect(store.createApproval(approval('a1'))).rejects.toMatchObject({ code: 'KGATE_STORE_CONFLICT' });
    await expect(store.createApproval(approval('a2', { votes: [vote(carol)] }))).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
  });

  test('a grant approval must name a stored grant', async () => {
    await expect(store.createApproval(approval('a1', { kind: 'grant', grantId: 'ghost', request: undefined }))).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await store.createGrant(grant('g1', { state: 'pending' }));
    const created = await store.createApproval(approval('a1', { kind: 'grant', grantId: 'g1', request: undefined }));
    expect(created).toMatchObject({ kind: 'grant', grantId: 'g1' });
    expect(created).not.toHaveProperty('request');
  });

  test('approved once enough distinct approvers agree', async () => {
    await store.createApproval(approval('a1'));
    const first = await store.addVote('a1', vote(carol), options);
    expect(first).toMatchObject({ state: 'pending', revision: 2 });
    expect(first.votes).toEqual([vote(carol)]);
    const second = await store.addVote('a1', vote(dave, 'approve', T0 + 2000), options);
    expect(second.state).toBe('approved');
    expect(second.votes.map((v) => v.approver.name)).toEqual(['carol', 'dave']);
    expect(await store.getApproval('a1')).toEqual(second);
  });

  test('a second vote by the same approver is refused and changes nothing', async () => {
    await store.createApproval(approval('a1'));
    await store.addVote('a1', vote(carol), options);
    const seq = await store.currentSeq();
    const refused = store.addVote('a1', vote(carol, 'approve', T0 + 5000), options);
    await expect(refused).rejects.toBeInstanceOf(DuplicateVoteError);
    await expect(refused).rejects.toMatchObject({ code: 'KGATE_STORE_DUPLICATE_VOTE', approvalId: 'a1', approver: 'https://idp.test#sub-carol' });
    // Same principal, different display name: still the same approver.
    await expect(store.addVote('a1', vote({ ...carol, name: 'Carol C.' }, 'deny'), options)).rejects.toBeInstanceOf(DuplicateVoteError);
    expect(await store.getApproval('a1')).toMatchObject({ state: 'pending', revision: 2, votes: [vote(carol)] });
    expect(await store.currentSeq()).toBe(seq);
  });

  test('any deny vote denies, even after approvals', async () => {
    await store.createApproval(approval('a1', { rule: { groups: ['sre-leads'], count: 3, expiresAfterMs: 1 } }));
    await store.addVote('a1', vote(carol), { ...options, requiredCount: 3 });
    const denied = await store.addVote('a1', vote(dave, 'deny'), { ...options, requiredCount: 3 });
    expect(denied.state).toBe('denied');
    await expect(store.addVote('a1', vote(erin), options)).rejects.toMatchObject({ code: 'KGATE_STORE_APPROVAL_CLOSED' });
  });

  test('a settled approval takes no more votes', async () => {
    await store.createApproval(approval('a1'));
    await store.addVote('a1', vote(carol), { ...options, requiredCount: 1 });
    await expect(store.addVote('a1', vote(dave, 'deny'), options)).rejects.toMatchObject({ code: 'KGATE_STORE_APPROVAL_CLOSED' });
    expect((await store.getApproval('a1'))!.state).toBe('approved');
  });

  test('votes on unknown approvals and bad counts are refused', async () => {
    await expect(store.addVote('nope', vote(carol), options)).rejects.toMatchObject({ code: 'KGATE_STORE_NOT_FOUND' });
    await store.createApproval(approval('a1'));
    await expect(store.addVote('a1', vote(carol), { ...options, requiredCount: 0 })).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
  });

  test('an overdue approval is expired by the vote that came too late, and stays expired', async () => {
    await store.createApproval(approval('a1'));
    const late = { requiredCount: 1, now: T0 + 600_000 };
    await expect(store.addVote('a1', vote(carol), late)).rejects.toMatchObject({ code: 'KGATE_STORE_APPROVAL_CLOSED', message: expect.stringContaining('expired') });
    expect(await store.getApproval('a1')).toMatchObject({ state: 'expired', votes: [], revision: 2 });
    expect((await store.changesSince(0)).map((c) => c.id)).toEqual(['a1', 'a1']);
  });

  test('expireApprovals expires only pending approvals that are due', async () => {
    await store.createApproval(approval('due', { expiresAt: T0 + 10 }));
    await store.createApproval(approval('due-now', { expiresAt: T0 + 20 }));
    await store.createApproval(approval('later', { expiresAt: T0 + 30 }));
    await store.createApproval(approval('settled', { expiresAt: T0 + 5 }));
    await store.addVote('settled', vote(carol), { requiredCount: 1, now: T0 });
    const expired = await store.expireApprovals(T0 + 20);
    expect(expired.map((a) => [a.id, a.state])).toEqual([['due', 'expired'], ['due-now', 'expired']]);
    expect((await store.getApproval('later'))!.state).toBe('pending');
    expect((await store.getApproval('settled'))!.state).toBe('approved');
    expect(await store.expireApprovals(T0 + 20)).toEqual([]);
  });

  test('listing filters by state, kind, cluster and grant, newest first', async () => {
    await store.createGrant(grant('g1', { state: 'pending' }));
    await store.createApproval(approval('a1', { createdAt: T0 + 1 }));
    await store.createApproval(approval('a2', { createdAt: T0 + 2, cluster: 'other' }));
    await store.createApproval(approval('a3', { createdAt: T0 + 3, kind: 'grant', grantId: 'g1', request: undefined }));
    await store.addVote('a1', vote(carol, 'deny'), options);
    const ids = async (f: Parameters<PolicyStore['listApprovals']>[0]) => (await store.listApprovals(f)).map((a) => a.id);
    expect(await ids({})).toEqual(['a3', 'a2', 'a1']);
    expect(await ids({ state: 'pending' })).toEqual(['a3', 'a2']);
    expect(await ids({ state: ['denied', 'expired'] })).toEqual(['a1']);
    expect(await ids({ kind: 'request', state: 'pending' })).toEqual(['a2']);
    expect(await ids({ cluster: 'sim' })).toEqual(['a3', 'a1']);
    expect(await ids({ grant: 'g1' })).toEqual(['a3']);
    expect((await store.listApprovals({ state: 'denied' }))[0]!.votes).toHaveLength(1);
  });
});
