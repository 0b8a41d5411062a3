import { checkApprover, decideGrant, templatesFor } from '../../../src/policy/evaluate-grant.js';
import { parsePolicy } from '../../../src/policy/schema/index.js';
import type { GrantRequest, Policy, Principal } from '../../../src/policy/types.js';
import { IDP, machine, person } from './fixtures.js';

const POLICY = `apiVersion: kgate.dev/v1alpha1
kind: Policy
metadata: { name: grants }
spec:
  clusters:
    - { name: dev, type: kubernetes, kubeconfig: /k/dev }
    - { name: prod, type: kubernetes, kubeconfig: /k/prod }
  identity:
    issuers: [{ issuer: "${IDP}", audience: kgate, workloadClients: [ci] }]
  grants:
    - name: view-all
      clusters: [dev, prod]
      clusterRole: view
      namespaces: ["*"]
      maxTTL: 8h
      subjects: [{ groups: [dev] }, { clientIds: [ci] }]
    - name: edit-apps
      clusters: [dev]
      clusterRole: edit
      namespaces: [apps, web]
      defaultTTL: 30m
      maxTTL: 2h
      reasonRequired: true
      subjects: [{ groups: [dev] }]
    - name: prod-edit
      clusters: [prod]
      clusterRole: edit
      namespaces: [apps]
      maxTTL: 1h
      subjects: [{ groups: [dev, sre] }]
      approval: { groups: [leads], count: 2, expiresAfter: 30m }
      breakGlass: { groups: [sre] }
    - name: emergency
      clusters: [prod]
      clusterRole: cluster-admin
      namespaces: ["*"]
      maxTTL: 1h
      subjects: [{ groups: [sre, dev] }]
      breakGlass: { groups: [sre] }
`;

function load(): Policy {
  const { policy, issues } = parsePolicy([{ file: 'grants.yaml', text: POLICY }]);
  expect(issues).toEqual([]);
  return policy!;
}

const policy = load();
const bob = person('bob', ['dev']);
const alice = person('alice', ['sre']);
const carol = person('carol', ['leads']);
const HOUR = 3_600_000;

type Expected = { outcome: 'denied'; message: string } | { outcome: 'active' | 'pending'; namespaces: string[]; ttlMs: number; breakGlass: boolean; approval?: boolean };

const CASES: [string, Principal, GrantRequest, Expected][] = [
  ['default TTL and the template namespaces', bob, { cluster: 'dev', grant: 'view-all' }, { outcome: 'active', namespaces: ['*'], ttlMs: HOUR, breakGlass: false }],
  ['some namespaces of a "*" template', bob, { cluster: 'dev', grant: 'view-all', namespaces: ['a', 'b', 'a'] }, { outcome: 'active', namespaces: ['a', 'b'], ttlMs: HOUR, breakGlass: false }],
  ['a machine by client id', machine('ci', []), { cluster: 'prod', grant: 'view-all', ttlMs: 8 * HOUR }, { outcome: 'active', namespaces: ['*'], ttlMs: 8 * HOUR, breakGlass: false }],
  ['TTL above the maximum is denied, not clamped', bob, { cluster: 'dev', grant: 'view-all', ttlMs: 9 * HOUR }, { outcome: 'denied', message: 'a TTL of 9h is above the maximum 8h of grant "view-all"; ask for 8h or less' }],
  ['a TTL too long to count is above the maximum, not the default', bob, { cluster: 'dev', grant: 'view-all', ttlMs: Number.POSITIVE_INFINITY }, { outcome: 'denied', message: 'a TTL of that length is above the maximum 8h of grant "view-all"; ask for 8h or less' }],
  ['NaN TTL', bob, { cluster: 'dev', grant: 'view-all', ttlMs: Number.NaN }, { outcome: 'denied', message: 'the TTL must be a positive duration like 15m or 1h' }],
  ['zero TTL', bob, { cluster: 'dev', grant: 'view-all', ttlMs: 0 }, { outcome: 'denied', message: 'the TTL must be a positive duration like 15m or 1h' }],
  ['unknown template', bob, { cluster: 'dev', grant: 'view-al' }, { outcome: 'denied', message: 'bob may not request grant "view-al" (did you mean "view-all"?); you may request: view-all, edit-apps, prod-edit, emergency' }],
  ['template the principal is not a subject of', carol, { cluster: 'dev', grant: 'view-all' }, { outcome: 'denied', message: 'carol may not request grant "view-all"; you may not request any grant' }],
  ['cluster the template does not offer', bob, { cluster: 'prod', grant: 'edit-apps', reason: 'x' }, { outcome: 'denied', message: 'grant "edit-apps" is not offered on cluster "prod" (it is offered on dev)' }],
  ['cluster that does not exist', bob, { cluster: 'staging', grant: 'view-all' }, { outcome: 'denied', message: 'grant "view-all" is not offered on cluster "staging" (it is offered on dev, prod)' }],
  ['namespace outside the template', bob, { cluster: 'dev', grant: 'edit-apps', namespaces: ['apps', 'kube-system'], reason: 'x' }, { outcome: 'denied', message: 'grant "edit-apps" does not cover namespace kube-system (it covers apps, web)' }],
  ['"*" on a namespaced template', bob, { cluster: 'dev', grant: 'edit-apps', namespaces: ['*'], reason: 'x' }, { outcome: 'denied', message: 'grant "edit-apps" is limited to namespaces apps, web' }],
  ['a namespace name that would inject', bob, { cluster: 'dev', grant: 'view-all', namespaces: ['a,b=c'] }, { outcome: 'denied', message: '"a,b=c" is not a namespace name (lowercase letters, digits and "-", at most 63)' }],
  ['subset of the template namespaces', bob, { cluster: 'dev', grant: 'edit-apps', namespaces: ['web'], reason: 'fix' }, { outcome: 'active', namespaces: ['web'], ttlMs: 30 * 60_000, breakGlass: false }],
  ['reason required', bob, { cluster: 'dev', grant: 'edit-apps' }, { outcome: 'denied', message: 'grant "edit-apps" needs a reason' }],
  ['a blank reason is no reason', bob, { cluster: 'dev', grant: 'edit-apps', reason: '   ' }, { outcome: 'denied', message: 'grant "edit-apps" needs a reason' }],
  ['approval makes it pending', bob, { cluster: 'prod', grant: 'prod-edit' }, { outcome: 'pending', namespaces: ['apps'], ttlMs: HOUR, breakGlass: false, approval: true }],
  ['break glass skips approval for its group', alice, { cluster: 'prod', grant: 'prod-edit', breakGlass: true, reason: 'INC-1' }, { outcome: 'active', namespaces: ['apps'], ttlMs: HOUR, breakGlass: true }],
  ['break glass needs a reason', alice, { cluster: 'prod', grant: 'prod-edit', breakGlass: true }, { outcome: 'denied', message: 'break glass on grant "prod-edit" needs a reason' }],
  ['break glass only for its group', bob, { cluster: 'prod', grant: 'prod-edit', breakGlass: true, reason: 'please' }, { outcome: 'denied', message: 'break glass on grant "prod-edit" is for members of sre' }],
  ['break glass on a template without it', bob, { cluster: 'dev', grant: 'view-all', breakGlass: true, reason: 'x' }, { outcome: 'denied', message: 'grant "view-all" has no break-glass access' }],
  ['a break-glass-only template is break glass without asking', alice, { cluster: 'prod', grant: 'emergency', reason: 'INC-2' }, { outcome: 'active', namespaces: ['*'], ttlMs: HOUR, breakGlass: true }],
  ['a break-glass-only template refuses others', bob, { cluster: 'prod', grant: 'emergency', reason: 'INC-2' }, { outcome: 'denied', message: 'break glass on grant "emergency" is for members of sre' }],
  ['a too long reason', bob, { cluster: 'dev', grant: 'edit-apps', reason: 'x'.repeat(1001) }, { outcome: 'denied', message: 'the reason is longer than 1000 characters' }],
];

describe('decideGrant', () => {
  it.each(CASES)('%s', (_name, principal, request, expected) => {
    const decision = decideGrant(policy, principal, request);
    if (expected.outcome === 'denied') {
      expect(decision).toEqual(expected);
      return;
    }
    expect(decision).toMatchObject({ outcome: expected.outcome, namespaces: expected.namespaces, ttlMs: expected.ttlMs, breakGlass: expected.breakGlass });
    if (decision.outcome === 'denied') return;
    expect(decision.template).toBe(policy.grants.find((g) => g.name === request.grant));
    expect(decision.cluster).toBe(policy.clusters.find((c) => c.name === request.cluster));
    expect(decision.approval).toEqual(expected.approval ? { groups: ['leads'], count: 2, expiresAfterMs: 30 * 60_000 } : undefined);
  });

  it('keeps the trimmed reason', () => {
    expect(decideGrant(policy, bob, { cluster: 'dev', grant: 'edit-apps', reason: '  deploy 1.2 ' })).toMatchObject({ outcome: 'active', reason: 'deploy 1.2' });
  });
});

describe('templatesFor', () => {
  it('lists what a principal may request, in policy order', () => {
    expect(templatesFor(policy, bob).map((t) => t.name)).toEqual(['view-all', 'edit-apps', 'prod-edit', 'emergency']);
    expect(templatesFor(policy, alice).map((t) => t.name)).toEqual(['prod-edit', 'emergency']);
    expect(templatesFor(policy, carol)).toEqual([]);
  });
});

describe('checkApprover', () => {
  const rule = { groups: ['leads', 'sre'], count: 2, expiresAfterMs: HOUR };
  it('lets a member of an approver group approve someone else', () => {
    expect(checkApprover(rule, carol, bob)).toEqual({ ok: true });
  });
  it('refuses self-approval, even for an approver', () => {
    expect(checkApprover(rule, carol, { ...carol, name: 'other name', groups: [] })).toEqual({ ok: false, message: 'you cannot approve your own request' });
  });
  it('tells the same subject at another issuer apart', () => {
    expect(checkApprover(rule, carol, { ...carol, issuer: 'https://other.example.com' })).toEqual({ ok: true });
  });
  it('refuses non-members', () => {
    expect(checkApprover(rule, bob, alice)).toEqual({ ok: false, message: 'only members of leads, sre may approve this' });
  });
});
