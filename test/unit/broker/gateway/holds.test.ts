import { describe, expect, it } from '@jest/globals';
import { APPROVED_REQUEST_WINDOW_MS, createGatewayHold, type ApprovalDesk } from '../../../../src/broker/gateway/holds.js';
import { gatewayRoute } from '../../../../src/broker/gateway/gateway.js';
import type { HeldRequest } from '../../../../src/broker/pipeline/types.js';
import { compileDetectors, DETECTOR_NAMES } from '../../../../src/mask/index.js';
import { heldRequestSummary } from '../../../../src/policy/approver-view.js';
import { canonicalizeRequest } from '../../../../src/kube/canonical.js';
import { checkHeldRequest, heldRequestDetail } from '../../../../src/policy/held-request.js';
import type { Approval, Principal } from '../../../../src/policy/types.js';

const alice: Principal = { issuer: 'https://idp', subject: 'alice', name: 'alice', type: 'human', groups: ['sre'], claims: {} };
const detectors = compileDetectors([...DETECTOR_NAMES]);

/** An in-memory desk standing in for the service's approvals (the e2e suites use the real one). */
function desk(): ApprovalDesk & { approvals: Approval[]; clock: number; approve(id: string): void } {
  const approvals: Approval[] = [];
  const d = {
    approvals,
    clock: 1_000_000,
    async open(who: Principal, body: Parameters<ApprovalDesk['open']>[1]) {
      const checked = checkHeldRequest(body.request);
      if (!checked.ok) throw new Error(checked.problem.message);
      const a: Approval = {
        id: `a${approvals.length + 1}`, kind: 'request', state: 'pending', requester: who, cluster: body.cluster,
        rule: { groups: ['sre-leads'], count: 1, expiresAfterMs: 60_000 },
        request: { ...heldRequestSummary(body.request, checked.canonical, detectors), ruleName: body.rule, message: 'held' },
        votes: [], createdAt: d.clock, expiresAt: d.clock + 60_000, revision: 1,
      };
      approvals.push(a);
      return a;
    },
    get: async (id: string) => approvals.find((a) => a.id === id),
    wait: async (id: string) => approvals.find((a) => a.id === id),
    approvedRequests: async () => approvals.filter((a) => a.state === 'approved' && a.consumedAt === undefined),
    async consume(id: string) {
      const a = approvals.find((x) => x.id === id);
      if (!a || a.consumedAt !== undefined) return false;
      a.consumedAt = d.clock;
      return true;
    },
    now: () => d.clock,
    approve(id: string) {
      const a = approvals.find((x) => x.id === id)!;
      a.state = 'approved';
      a.votes.push({ approver: { ...alice, subject: 'carol', name: 'carol' }, decision: 'approve', at: d.clock });
    },
  };
  return d;
}

const EXEC = '/api/v1/namespaces/prod/pods/web/exec';

function canonical(method: string, url: string): string {
  const result = canonicalizeRequest(method, url);
  if (!result.ok) throw new Error(result.reason);
  return result.request.url;
}

function held(command: string[], body?: string): HeldRequest {
  const query = [...command.map((c) => `command=${encodeURIComponent(c)}`), 'container=web', 'stdout=true'].join('&');
  return {
    auditId: 'x', rule: 'prod-exec', message: 'exec in prod is held', command, signal: new AbortController().signal,
    exact: heldRequestDetail({ method: body ? 'POST' : 'GET', url: canonical(body ? 'POST' : 'GET', `${EXEC}?${query}`), ...(body ? { contentType: 'application/json', body: Buffer.from(body) } : {}) }),
    info: { isResourceRequest: true, path: '/api/v1/namespaces/prod/pods/web/exec', verb: 'create', apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: 'prod', resource: 'pods', subresource: 'exec', name: 'web', parts: ['pods', 'web', 'exec'], fieldSelector: '', labelSelector: '' } as HeldRequest['info'],
  };
}

describe('holds at the gateway for a client that cannot wait', () => {
  it('refuses at once naming the approval, then lets the same request through once after approval', async () => {
    const d = desk();
    const hold = createGatewayHold({ desk: d, requester: alice, cluster: 'prod', detectors, canWait: false, log: () => undefined });
    const first = await hold(held(['date']));
    expect(first).toMatchObject({ approved: false, approvalId: 'a1' });
    expect(first.approved ? '' : first.reason).toContain('kgate approve a1');
    d.approve('a1');
    expect(await hold(held(['date']))).toEqual({ approved: true, approvalId: 'a1' });
    // Used: the next identical request is held again, as a new approval.
    expect(await hold(held(['date']))).toMatchObject({ approved: false, approvalId: 'a2' });
  });

  it('never lets a different command or body through on someone else\'s approval', async () => {
    const d = desk();
    const hold = createGatewayHold({ desk: d, requester: alice, cluster: 'prod', detectors, canWait: false, log: () => undefined });
    await hold(held(['date'], '{"a":1}'));
    d.approve('a1');
    expect(await hold(held(['rm', '-rf', '/'], '{"a":1}'))).toMatchObject({ approved: false, approvalId: 'a2' });
    expect(await hold(held(['date'], '{"a":2}'))).toMatchObject({ approved: false, approvalId: 'a3' });
  });

  it('never lets a command through on the approval of another that masks the same', async () => {
    const d = desk();
    const hold = createGatewayHold({ desk: d, requester: alice, cluster: 'prod', detectors, canWait: false, log: () => undefined });
    const approved = ['sh', '-c', 'token="$(date)"'];
    const other = ['sh', '-c', 'token="$(touch /tmp/pwned)"'];
    await hold(held(approved));
    d.approve('a1');
    // Everyone but approvers sees both as token="***MASKED:password-assignment***".
    expect(d.approvals[0]!.request!.command).toEqual(['sh', '-c', 'token="***MASKED:password-assignment***"']);
    expect(await hold(held(other))).toMatchObject({ approved: false, approvalId: 'a2' });
    expect(await hold(held(approved))).toEqual({ approved: true, approvalId: 'a1' });
  });

  it('forgets an approval after its window', async () => {
    const d = desk();
    const hold = createGatewayHold({ desk: d, requester: alice, cluster: 'prod', detectors, canWait: false, log: () => undefined });
    await hold(held(['date']));
    d.approve('a1');
    d.clock += APPROVED_REQUEST_WINDOW_MS + 1;
    expect(await hold(held(['date']))).toMatchObject({ approved: false, approvalId: 'a2' });
  });
});

describe('gatewayRoute', () => {
  it.each([
    ['/gateway/clusters/prod/api/v1/pods', { cluster: 'prod', rest: '/api/v1/pods' }],
    ['/gateway/clusters/prod', { cluster: 'prod', rest: '/' }],
    ['/gateway/clusters/prod//api', { cluster: 'prod', rest: '//api' }],
    ['/gateway/clusters/Prod/api', undefined],
    ['/gateway/clusters/prod%2Fx/api', undefined],
    ['/gateway/clusters/-prod/api', undefined],
    ['/gateway/clusters/prodapi', { cluster: 'prodapi', rest: '/' }],
    ['/gateway/x/prod/api', undefined],
  ])('%s', (url, expected) => {
    expect(gatewayRoute(url)).toEqual(expected);
  });
});
