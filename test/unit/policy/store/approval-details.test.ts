/**
 * The exact request a pending request approval holds: kept apart from the approval, returned only
 * while pending, deleted in the transaction that decides or expires it, and overwritten on disk.
 */
import { readFileSync } from 'node:fs';
import { heldRequestDetail } from '../../../../src/policy/held-request.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import { T0, approval, grant, person, tempDir, vote } from './fixtures.js';

const carol = person('carol', ['sre-leads']);
const dave = person('dave', ['sre-leads']);
const SECRET = 'held-S3cret-b0dy-value';
const detail = heldRequestDetail({ method: 'PATCH', url: '/api/v1/namespaces/prod/configmaps/app', contentType: 'application/merge-patch+json', body: Buffer.from(`{"data":{"password":"${SECRET}"}}`) });

describe('held request details in the SQLite store', () => {
  let store: PolicyStore;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('kept while pending, apart from the approval', async () => {
    await store.createApproval(approval('a1'), detail);
    expect(await store.getApprovalDetail('a1')).toEqual(detail);
    expect(JSON.stringify(await store.getApproval('a1'))).not.toContain(detail.body);
    expect(await store.getApprovalDetail('nope')).toBeUndefined();
  });

  test('only a pending request approval keeps one', async () => {
    await store.createGrant(grant('g1', { state: 'pending' }));
    await expect(store.createApproval(approval('a1', { kind: 'grant', grantId: 'g1', request: undefined }), detail)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    await expect(store.createApproval(approval('a2', { state: 'approved' }), detail)).rejects.toMatchObject({ code: 'KGATE_STORE_INVALID' });
    expect(await store.getApproval('a1')).toBeUndefined();
  });

  test('deleted when approved, denied or expired, kept while more votes are needed', async () => {
    const options = { requiredCount: 2, now: T0 + 1000 };
    await store.createApproval(approval('approved'), detail);
    await store.addVote('approved', vote(carol), options);
    expect(await store.getApprovalDetail('approved')).toEqual(detail);
    await store.addVote('approved', vote(dave), options);
    expect(await store.getApprovalDetail('approved')).toBeUndefined();

    await store.createApproval(approval('denied'), detail);
    await store.addVote('denied', vote(carol, 'deny'), options);
    expect(await store.getApprovalDetail('denied')).toBeUndefined();

    await store.createApproval(approval('expired'), detail);
    expect((await store.expireApprovals(T0 + 600_000)).map((a) => a.id)).toEqual(['expired']);
    expect(await store.getApprovalDetail('expired')).toBeUndefined();

    // A vote that finds the approval overdue expires it, and its detail with it.
    await store.createApproval(approval('overdue'), detail);
    await expect(store.addVote('overdue', vote(carol), { requiredCount: 1, now: T0 + 600_000 })).rejects.toMatchObject({ code: 'KGATE_STORE_APPROVAL_CLOSED' });
    expect(await store.getApprovalDetail('overdue')).toBeUndefined();
  });
});

test('a decided approval\'s held request is not left in the database file', async () => {
  const dir = tempDir();
  try {
    const file = dir.file();
    const store = openSqliteStore(file);
    await store.createApproval(approval('a1'), detail);
    await store.addVote('a1', vote(carol), { requiredCount: 1, now: T0 + 1000 });
    await store.close();
    // Closing checkpoints the WAL into the file; the deleted row's bytes must not be among it.
    expect(readFileSync(file).includes(Buffer.from(detail.body!))).toBe(false);
  } finally {
    dir.dispose();
  }
});
