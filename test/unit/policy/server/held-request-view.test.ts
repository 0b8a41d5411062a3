/**
 * Who sees the exact request a request approval holds: only those who may decide it, only while
 * it is pending. Against the real SQLite store (in memory) and the sample policy's detectors.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { compileDetectors } from '../../../../src/mask/index.js';
import { heldRequestSummary } from '../../../../src/policy/approver-view.js';
import { checkHeldRequest, heldRequestDetail, type HeldRequestDetail } from '../../../../src/policy/held-request.js';
import { parsePolicy } from '../../../../src/policy/schema/index.js';
import { heldRequestView, maySeeHeldRequest } from '../../../../src/policy/server/request-approvals.js';
import { openSqliteStore } from '../../../../src/policy/store/sqlite.js';
import type { PolicyStore } from '../../../../src/policy/store/types.js';
import type { Approval, Policy } from '../../../../src/policy/types.js';
import { canonicalUrl, readSample, SAMPLE_POLICY, SIM_ENV } from '../fixtures.js';
import { person, T0 } from '../store/fixtures.js';

const policy = parsePolicy([{ file: 'sample-policy.yaml', text: readSample(SAMPLE_POLICY) }], { env: SIM_ENV }).policy as Policy;
const ATTACK = 'token="$(touch /tmp/pwned)"';
const requester = person('ci-deployer', ['ci']);
const carol = person('carol', ['sre-leads']);
const bob = person('bob', ['dev']);
// In the approver group, but the one who asked: no self-approval, so no unmasked view either.
const lead = person('lena', ['sre-leads']);

function held(): HeldRequestDetail {
  return heldRequestDetail({ method: 'GET', url: canonicalUrl('GET', `/api/v1/namespaces/prod/pods/web/exec?command=sh&command=-c&command=${encodeURIComponent(ATTACK)}&container=web&stdout=true`) });
}

function approvalOf(id: string, detail: HeldRequestDetail, who = requester): Approval {
  const checked = checkHeldRequest(detail);
  if (!checked.ok) throw new Error(checked.problem.message);
  return {
    id, kind: 'request', state: 'pending', requester: who, cluster: 'kgate-sim',
    rule: { groups: ['sre-leads'], count: 1, expiresAfterMs: 600_000 },
    request: { ...heldRequestSummary(detail, checked.canonical, compileDetectors(policy.masking.detectors)), ruleName: 'prod-exec-needs-approval', message: 'held' },
    votes: [], createdAt: T0, expiresAt: T0 + 600_000, revision: 1,
  };
}

describe('the unmasked view of a held request', () => {
  let store: PolicyStore;
  let now: number;
  const ctx = () => ({ policy, store, now: () => now });

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    now = T0 + 1000;
  });
  afterEach(async () => {
    await store.close();
  });

  it('is shown to an approver in full, the detector match highlighted', async () => {
    const approval = await store.createApproval(approvalOf('a1', held()), held());
    const view = await heldRequestView(ctx(), approval, carol, { withBody: true });
    expect(view?.command?.[2]).toEqual({ text: ATTACK, highlights: [{ start: 7, end: 26, detector: 'password-assignment' }] });
  });

  it.each([
    ['its requester', requester],
    ['someone outside the approver groups', bob],
  ])('is never shown to %s', async (_name, who) => {
    const approval = await store.createApproval(approvalOf('a1', held()), held());
    expect(maySeeHeldRequest(approval, who)).toBe(false);
    expect(await heldRequestView(ctx(), approval, who, { withBody: true })).toBeUndefined();
  });

  it('is never shown to an approver-group member who asked for it themselves', async () => {
    const approval = await store.createApproval(approvalOf('a1', held(), lead), held());
    expect(await heldRequestView(ctx(), approval, lead, { withBody: true })).toBeUndefined();
  });

  it('is gone once the approval is decided or expired, even for approvers', async () => {
    const approval = await store.createApproval(approvalOf('a1', held()), held());
    const approved = await store.addVote('a1', { approver: carol, decision: 'approve', at: now }, { requiredCount: 1, now });
    expect(approved.state).toBe('approved');
    expect(await heldRequestView(ctx(), approved, carol, { withBody: true })).toBeUndefined();
    // Even an approval object read before the decision finds nothing left to show.
    expect(await heldRequestView(ctx(), approval, carol, { withBody: true })).toBeUndefined();

    const pending = await store.createApproval(approvalOf('a2', held()), held());
    now = pending.expiresAt;
    expect(await heldRequestView(ctx(), pending, carol, { withBody: true })).toBeUndefined();
  });

  it('is never part of what approvals read back, in one or in a list', async () => {
    await store.createApproval(approvalOf('a1', held()), held());
    const everything = JSON.stringify([await store.getApproval('a1'), await store.listApprovals()]);
    expect(everything).toContain('***MASKED:password-assignment***');
    expect(everything).not.toContain('touch');
  });
});
