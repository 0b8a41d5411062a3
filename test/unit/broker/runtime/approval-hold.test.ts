import { describe, expect, it } from '@jest/globals';
import type { HeldRequest } from '../../../../src/broker/pipeline/types.js';
import { createApprovalHold } from '../../../../src/broker/runtime/approval-hold.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';
import type { ApprovalView, PolicyClient, RequestApprovalBody } from '../../../../src/policy/client.js';
import { canonicalizeRequest } from '../../../../src/kube/canonical.js';
import { heldRequestDetail, heldRequestDigest } from '../../../../src/policy/held-request.js';

const detectors = compileDetectors([...DETECTOR_NAMES]);
const COMMAND = ['sh', '-c', 'echo AKIAIOSFODNN7EXAMPLE'];
const EXEC_URL = canonicalizeRequest('GET', `/api/v1/namespaces/prod/pods/web/exec?${COMMAND.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&stdout=true`);
const EXACT = heldRequestDetail({ method: 'GET', url: EXEC_URL.ok ? EXEC_URL.request.url : '' });

function view(state: ApprovalView['state'], revision: number, votes: ApprovalView['votes'] = [], digest = heldRequestDigest(EXACT)): ApprovalView {
  return { id: 'ap-1', kind: 'request', state, cluster: 'c', revision, createdAt: Date.now(), expiresAt: Date.now() + 60_000, votes, request: { digest } } as unknown as ApprovalView;
}

/** A policy client whose approval moves through `states`, one per long-poll. */
function fakeClient(states: ApprovalView[]): { client: PolicyClient; opened: RequestApprovalBody[] } {
  const opened: RequestApprovalBody[] = [];
  let i = 0;
  const client = {
    requestApproval: async (body: RequestApprovalBody) => {
      opened.push(body);
      return view('pending', 1);
    },
    getApproval: async () => states[Math.min(i++, states.length - 1)]!,
  } as unknown as PolicyClient;
  return { client, opened };
}

function held(signal = new AbortController().signal): HeldRequest {
  return {
    auditId: 'a', rule: 'prod-exec', message: 'needs a lead', command: COMMAND, exact: EXACT, signal,
    info: { verb: 'create', path: '/api/v1/namespaces/prod/pods/web/exec', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web' } as HeldRequest['info'],
  };
}

describe('createApprovalHold', () => {
  it('opens an approval with the exact request for approvers, masks the requester\'s lines, and releases it once approved', async () => {
    const { client, opened } = fakeClient([view('pending', 2), view('approved', 3)]);
    const lines: string[] = [];
    const outcome = await createApprovalHold({ client, cluster: 'c', status: (l) => lines.push(l), detectors })(held());
    expect(outcome).toEqual({ approved: true, approvalId: 'ap-1' });
    // The service masks it for everyone else; approvers get it exactly as it will be forwarded.
    expect(opened).toEqual([{ cluster: 'c', rule: 'prod-exec', request: EXACT }]);
    expect(lines.join('\n')).toContain('kgate approve ap-1');
    expect(lines.join('\n')).toContain('***MASKED:aws-access-key-id***');
    expect(lines.join('\n')).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses the request when the approval is bound to another request', async () => {
    const { client } = fakeClient([view('approved', 2, [], `sha256:${'0'.repeat(64)}`)]);
    const outcome = await createApprovalHold({ client, cluster: 'c', status: () => undefined, detectors })(held());
    expect(outcome).toEqual({ approved: false, approvalId: 'ap-1', reason: 'prod-exec: approval ap-1 was given for a different request than this one; refused' });
  });

  it('refuses with the denier and reason when denied', async () => {
    const votes = [{ decision: 'deny', reason: 'freeze', at: 0, approver: { name: 'carol' } }] as unknown as ApprovalView['votes'];
    const { client } = fakeClient([view('denied', 2, votes)]);
    const outcome = await createApprovalHold({ client, cluster: 'c', status: () => undefined, detectors })(held());
    expect(outcome).toMatchObject({ approved: false, approvalId: 'ap-1' });
    expect((outcome as { reason: string }).reason).toBe('prod-exec: needs a lead — approval ap-1 was denied by carol: freeze');
  });

  it('stops waiting when the client goes away', async () => {
    const abort = new AbortController();
    abort.abort();
    const { client } = fakeClient([view('pending', 2)]);
    const outcome = await createApprovalHold({ client, cluster: 'c', status: () => undefined, detectors })(held(abort.signal));
    expect(outcome).toMatchObject({ approved: false, reason: 'the client went away while the request was held' });
  });

  it('fails closed when the policy service cannot be asked', async () => {
    const client = { requestApproval: async () => { throw new Error('connect ECONNREFUSED'); } } as unknown as PolicyClient;
    const outcome = await createApprovalHold({ client, cluster: 'c', status: () => undefined, detectors })(held());
    expect(outcome).toMatchObject({ approved: false });
    expect((outcome as { reason: string }).reason).toContain('could not be asked (connect ECONNREFUSED)');
  });
});
