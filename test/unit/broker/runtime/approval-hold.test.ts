import { describe, expect, it } from '@jest/globals';
import type { HeldRequest } from '../../../../src/broker/pipeline/types.js';
import { createApprovalHold } from '../../../../src/broker/runtime/approval-hold.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';
import type { ApprovalView, PolicyClient, RequestApprovalBody } from '../../../../src/policy/client.js';

const detectors = compileDetectors([...DETECTOR_NAMES]);

function view(state: ApprovalView['state'], revision: number, votes: ApprovalView['votes'] = []): ApprovalView {
  return { id: 'ap-1', kind: 'request', state, cluster: 'c', revision, createdAt: Date.now(), expiresAt: Date.now() + 60_000, votes } as unknown as ApprovalView;
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
    auditId: 'a', rule: 'prod-exec', message: 'needs a lead', command: ['sh', '-c', 'echo AKIAIOSFODNN7EXAMPLE'], signal,
    info: { verb: 'create', path: '/api/v1/namespaces/prod/pods/web/exec', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web' } as HeldRequest['info'],
  };
}

describe('createApprovalHold', () => {
  it('opens an approval with the masked command and releases the request once approved', async () => {
    const { client, opened } = fakeClient([view('pending', 2), view('approved', 3)]);
    const lines: string[] = [];
    const outcome = await createApprovalHold({ client, cluster: 'c', status: (l) => lines.push(l), detectors })(held());
    expect(outcome).toEqual({ approved: true, approvalId: 'ap-1' });
    expect(opened[0]).toMatchObject({ cluster: 'c', rule: 'prod-exec', request: { verb: 'create', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web' } });
    expect(JSON.stringify(opened)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(lines.join('\n')).toContain('kgate approve ap-1');
    expect(lines.join('\n')).not.toContain('AKIAIOSFODNN7EXAMPLE');
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
